module github.com/ream-dev/ream

go 1.26
