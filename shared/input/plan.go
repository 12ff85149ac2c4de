package input

// PlanLines cuts an input object of size bytes into shards of about shardBytes each, without
// reading it: it is pure arithmetic on byte ranges. The shards tile [0, size) in order; their
// sizes differ by at most one byte (so there is no runt last shard). size 0 gives no shards;
// shardBytes <= 0 gives one shard for the whole object.
func PlanLines(size, shardBytes int64) []Shard {
	if size <= 0 {
		return nil
	}
	if shardBytes <= 0 || shardBytes > size {
		shardBytes = size
	}
	n := size / shardBytes
	if size%shardBytes != 0 {
		n++
	}
	base, rem := size/n, size%n
	shards := make([]Shard, n)
	var start int64
	for i := range shards {
		end := start + base
		if int64(i) < rem {
			end++
		}
		shards[i] = Shard{Index: i, Start: start, End: end}
		start = end
	}
	return shards
}

// PlanFiles groups files, in the given order, into shards of at most maxFiles files and at most
// about shardBytes bytes: a file is added to the current shard unless that would exceed either
// bound, and a single file larger than shardBytes is a shard on its own. maxFiles <= 0 or
// shardBytes <= 0 disables that bound. Shards are indexed from 0.
func PlanFiles(files []FileRef, maxFiles int, shardBytes int64) []Shard {
	var shards []Shard
	var cur []FileRef
	var curBytes int64
	flush := func() {
		if len(cur) > 0 {
			shards = append(shards, Shard{Index: len(shards), Files: cur})
			cur, curBytes = nil, 0
		}
	}
	for _, f := range files {
		if len(cur) > 0 && ((maxFiles > 0 && len(cur) >= maxFiles) ||
			(shardBytes > 0 && curBytes+f.Size > shardBytes)) {
			flush()
		}
		cur = append(cur, f)
		curBytes += f.Size
	}
	flush()
	return shards
}
