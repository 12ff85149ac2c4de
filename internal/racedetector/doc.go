// Package racedetector says whether the binary was built with -race, for the tests that count
// allocations: under the race detector sync.Pool drops a random quarter of what is put back, so a
// pooled scratch buffer is allocated again now and then, and such counts do not hold.
package racedetector
