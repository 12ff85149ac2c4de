package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

func init() { commands["drop-rules"] = dropRules }

const dropRulesHelp = "put, list, get, delete, upload or close (see ream help)"

// dropRules runs `ream drop-rules SUBCOMMAND …`: a rule's objects start jobs from its template.
func dropRules(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("drop-rules needs a subcommand: %s", dropRulesHelp)
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "put":
		return dropRulePut(ctx, args)
	case "list":
		return dropRuleList(ctx, args)
	case "get", "delete":
		name, err := oneArg("drop-rules "+sub, "NAME", args)
		if err != nil {
			return err
		}
		c, err := newClient(ctx)
		if err != nil {
			return err
		}
		if sub == "delete" {
			if err := c.DeleteDropRule(ctx, name); err != nil {
				return err
			}
			fmt.Printf("drop rule %s deleted\n", name)
			return nil
		}
		r, err := c.GetDropRule(ctx, name)
		if err != nil {
			return err
		}
		return printJSON(r)
	case "upload":
		return dropRuleUpload(ctx, args)
	case "close":
		return dropRuleClose(ctx, args)
	}
	return usagef("unknown drop-rules subcommand %q: %s", sub, dropRulesHelp)
}

func dropRulePut(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("drop-rules put", flag.ContinueOnError)
	request := jobFlags(fset, "prefix of the names of the jobs the rule starts (default NAME/)")
	// submit's words for --format speak of its PATH; a rule's format says what starts a job
	// (found from outside: "drop-rules put -h" spoke of "a directory PATH", which put has not).
	fset.Lookup("format").Usage = "ONE_DOC_PER_LINE or JSONL (each file dropped is a job), or ONE_DOC_PER_FILE (each <batch>/ folder is a job, once its _SUCCESS marker is written)"
	retention := fset.Int("retention", 0, "keep each job's output this many hours after it ends (default: the deployment's retention)")
	name, err := parseOne(fset, args, "drop-rules put needs exactly one NAME")
	if err != nil {
		return err
	}
	tmpl := request()
	given := map[string]bool{}
	fset.Visit(func(f *flag.Flag) {
		given[f.Name] = true
		if f.Name == "retention" {
			tmpl.RetentionHours = retention
		}
	})
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	r, err := c.PutDropRule(ctx, name, tmpl)
	if err != nil {
		return err
	}
	fmt.Printf("drop rule %s: objects created under %s start %s jobs of %s\n", r.Name, r.Location, r.Template.InputDataConfig.InputFormat, analysesList(r.Template))
	// --analyses and --format default as submit's do; a rule outlives the command, so say so.
	for _, f := range []string{"analyses", "format"} {
		if !given[f] {
			fmt.Printf("(no --%s given: %s, the default)\n", f, fset.Lookup(f).DefValue)
		}
	}
	if r.Template.InputDataConfig.InputFormat == job.OneDocPerFile {
		// a rule named "-x" is read as a flag unless "--" comes before it (found from outside:
		// the command this printed for it failed with "flag provided but not defined: -x").
		arg := r.Name
		if strings.HasPrefix(arg, "-") {
			arg = "-- " + arg
		}
		fmt.Printf("(one job per batch: write the batch's files under %s<batch>/, then close it with `ream drop-rules close %s <batch>`, or write %s<batch>/_SUCCESS with new content each time)\n", r.Location, arg, r.Location)
	}
	return nil
}

func dropRuleList(ctx context.Context, args []string) error {
	if len(args) != 0 {
		return usagef("drop-rules list takes no arguments")
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	rules, err := c.ListDropRules(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tANALYSES\tFORMAT\tUPDATED\tFOLDER")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, analysesList(r.Template), r.Template.InputDataConfig.InputFormat,
			r.UpdatedAt.Format(time.RFC3339), r.Location)
	}
	return tw.Flush()
}

func analysesList(t api.CreateJobRequest) string {
	s := ""
	for i, a := range t.Analyses {
		if i > 0 {
			s += ","
		}
		s += string(a)
	}
	return s
}

// dropRuleUpload uploads a file into the rule's folder through a presigned URL (the upload's
// event starts the job).
func dropRuleUpload(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("drop-rules upload", flag.ContinueOnError)
	as := fset.String("as", "", "the name in the rule's folder (default: PATH's base name)")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("drop-rules upload needs NAME and PATH")
	}
	name, path := pos[0], pos[1]
	if err := regularFile(path, "upload one file at a time; for a ONE_DOC_PER_FILE batch upload its files as <batch>/<file> with --as, then close it: ream drop-rules close NAME <batch>"); err != nil {
		return err
	}
	file := *as
	if file == "" {
		file = filepath.Base(path)
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	u, err := c.DropUpload(ctx, name, file)
	if err != nil {
		return err
	}
	if err := c.Upload(ctx, u.Presigned, path); err != nil {
		return err
	}
	fmt.Printf("uploaded %s as %s into drop rule %s\n", path, file, name)
	return nil
}

// dropRuleClose closes a ONE_DOC_PER_FILE batch: it uploads the batch's _SUCCESS marker through a
// presigned URL, with the time as its content, so that closing the batch again (after adding
// files) is a new version of the marker and starts another job, on S3 (where the same bytes
// are the same object) as locally.
func dropRuleClose(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("drop-rules close", flag.ContinueOnError)
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("drop-rules close needs NAME and BATCH")
	}
	name, batch := pos[0], strings.Trim(pos[1], "/")
	if batch == "" {
		return usagef("drop-rules close needs a BATCH folder: a marker at the rule's top level closes no batch")
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	r, err := c.GetDropRule(ctx, name)
	if err != nil {
		return err
	}
	if f := r.Template.InputDataConfig.InputFormat; f != job.OneDocPerFile {
		return fmt.Errorf("drop rule %s is a %s rule: each file it receives is a job of its own, and a %s marker starts nothing (close is for ONE_DOC_PER_FILE batches)", name, f, droprule.Marker)
	}
	marker := batch + "/" + droprule.Marker
	tmp, err := os.CreateTemp("", "ream-marker-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = fmt.Fprintln(tmp, time.Now().UTC().Format(time.RFC3339Nano))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	u, err := c.DropUpload(ctx, name, marker)
	if err != nil {
		return err
	}
	if err := c.Upload(ctx, u.Presigned, tmp.Name()); err != nil {
		return err
	}
	fmt.Printf("closed batch %s of drop rule %s (%s written): its job starts\n", batch, name, marker)
	return nil
}
