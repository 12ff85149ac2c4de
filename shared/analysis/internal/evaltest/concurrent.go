package evaltest

import (
	"reflect"
	"sync"
	"testing"
)

// Concurrent checks that an analyser shared between goroutines gives what it gives alone: f
// runs over inputs once sequentially, then from 8 goroutines at once (each starting at its own
// offset, so that different inputs overlap), and every result that differs from the
// sequential one is an error naming the input's index. Under -race it also finds data races.
func Concurrent[T any](t *testing.T, inputs []string, f func(string) T) {
	t.Helper()
	want := make([]T, len(inputs))
	for i, in := range inputs {
		want[i] = f(in)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range inputs {
				i := (k + g*17) % len(inputs)
				if got := f(inputs[i]); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("goroutine %d, input %d (%.60q): %+v, alone %+v", g, i, inputs[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}
