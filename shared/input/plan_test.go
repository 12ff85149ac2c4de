package input

import (
	"fmt"
	"math"
	"reflect"
	"testing"
)

func TestPlanLines(t *testing.T) {
	tests := []struct {
		size, shardBytes int64
		want             [][2]int64
	}{
		{0, 10, nil},
		{-1, 10, nil},
		{1, 10, [][2]int64{{0, 1}}},
		{10, 10, [][2]int64{{0, 10}}},
		{11, 10, [][2]int64{{0, 6}, {6, 11}}},
		{20, 10, [][2]int64{{0, 10}, {10, 20}}},
		{21, 10, [][2]int64{{0, 7}, {7, 14}, {14, 21}}},
		{5, 1, [][2]int64{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}}},
		{7, 0, [][2]int64{{0, 7}}},
		{7, -3, [][2]int64{{0, 7}}},
		{7, 100, [][2]int64{{0, 7}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.size, tt.shardBytes), func(t *testing.T) {
			var got [][2]int64
			for i, sh := range PlanLines(tt.size, tt.shardBytes) {
				if sh.Index != i || sh.Files != nil {
					t.Errorf("shard %d: %+v", i, sh)
				}
				got = append(got, [2]int64{sh.Start, sh.End})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPlanLinesTiles checks the plan's invariants over many sizes: contiguous, covering
// [0, size), no empty shard, no shard larger than shardBytes, sizes within one byte.
func TestPlanLinesTiles(t *testing.T) {
	for size := int64(1); size <= 300; size++ {
		for sb := int64(1); sb <= size+2; sb++ {
			plan := PlanLines(size, sb)
			if want := (size + sb - 1) / sb; int64(len(plan)) != want {
				t.Fatalf("PlanLines(%d, %d): %d shards, want %d", size, sb, len(plan), want)
			}
			var next int64
			lo, hi := size, int64(0)
			for _, sh := range plan {
				n := sh.End - sh.Start
				if sh.Start != next || n <= 0 || n > sb {
					t.Fatalf("PlanLines(%d, %d): bad shard %+v", size, sb, sh)
				}
				lo, hi, next = min(lo, n), max(hi, n), sh.End
			}
			if next != size || hi-lo > 1 {
				t.Fatalf("PlanLines(%d, %d) = %v", size, sb, plan)
			}
		}
	}
	// Huge sizes must not overflow.
	for _, sb := range []int64{1 << 60, math.MaxInt64 - 1, math.MaxInt64} {
		plan := PlanLines(math.MaxInt64, sb)
		if len(plan) == 0 || plan[0].Start != 0 || plan[len(plan)-1].End != math.MaxInt64 {
			t.Fatalf("PlanLines(MaxInt64, %d) = %v", sb, plan)
		}
	}
}

func TestPlanFiles(t *testing.T) {
	f := func(key string, size int64) FileRef { return FileRef{Key: key, Size: size} }
	a, b, c, d, e := f("a", 10), f("b", 20), f("c", 5), f("d", 100), f("e", 0)
	tests := []struct {
		name       string
		files      []FileRef
		maxFiles   int
		shardBytes int64
		want       [][]FileRef
	}{
		{"no files", nil, 10, 100, nil},
		{"one file", []FileRef{a}, 10, 100, [][]FileRef{{a}}},
		{"all fit", []FileRef{a, b, c}, 10, 100, [][]FileRef{{a, b, c}}},
		{"max files", []FileRef{a, b, c, e}, 2, 1000, [][]FileRef{{a, b}, {c, e}}},
		{"max files 1", []FileRef{a, b, c}, 1, 1000, [][]FileRef{{a}, {b}, {c}}},
		{"bytes bound", []FileRef{a, b, c}, 10, 30, [][]FileRef{{a, b}, {c}}},
		{"bytes bound exact", []FileRef{a, b}, 10, 30, [][]FileRef{{a, b}}},
		{"bytes bound exceeded by one", []FileRef{a, b}, 10, 29, [][]FileRef{{a}, {b}}},
		{"big file alone", []FileRef{a, d, c}, 10, 50, [][]FileRef{{a}, {d}, {c}}},
		{"big file first", []FileRef{d, a}, 10, 50, [][]FileRef{{d}, {a}}},
		{"empty files count toward maxFiles", []FileRef{e, e, e}, 2, 50, [][]FileRef{{e, e}, {e}}},
		{"no bounds", []FileRef{a, b, c, d}, 0, 0, [][]FileRef{{a, b, c, d}}},
		{"order kept", []FileRef{c, b, a}, 2, 0, [][]FileRef{{c, b}, {a}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]FileRef
			for i, sh := range PlanFiles(tt.files, tt.maxFiles, tt.shardBytes) {
				if sh.Index != i || sh.Start != 0 || sh.End != 0 {
					t.Errorf("shard %d: %+v", i, sh)
				}
				got = append(got, sh.Files)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
