package local

import "errors"

// errNoDataLock is lockDataDir's error when the data directory's file system cannot lock: the
// server starts anyway (with a warning), as it did before the lock existed.
var errNoDataLock = errors.New("the data directory cannot be locked, so nothing stops a second ream serve on it")
