package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ream-dev/ream/shared/analysis/topics"
)

func main() {
	file := flag.String("file", "", "")
	k := flag.Int("k", 20, "")
	n := flag.Int("n", 5000, "")
	anneal := flag.String("anneal", "", "")
	flag.Parse()
	f, _ := os.Open(*file)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	var docs []topics.Document
	for sc.Scan() && len(docs) < *n {
		docs = append(docs, topics.Document{ID: strconv.Itoa(len(docs)), Text: sc.Text()})
	}
	opts := topics.DriverOptions{Fit: topics.FitOptions{K: *k, Seed: 7}}
	if *anneal != "" {
		for _, s := range strings.Split(*anneal, ",") {
			v, _ := strconv.ParseFloat(s, 64)
			opts.Fit.Anneal = append(opts.Fit.Anneal, v)
		}
	}
	res, err := topics.Fit(docs, 4, opts)
	if err != nil {
		panic(err)
	}
	sizes := make([]int, *k)
	for _, p := range res.Proportions {
		if p == nil {
			continue
		}
		best := 0
		for i := range p {
			if p[i] > p[best] {
				best = i
			}
		}
		sizes[best]++
	}
	for i, tw := range topics.TopTerms(res.Model, 10) {
		var ws []string
		for _, t := range tw {
			ws = append(ws, t.Term)
		}
		fmt.Printf("%03d %5d %s\n", i, sizes[i], strings.Join(ws, " "))
	}
}
