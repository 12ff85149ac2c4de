package pipeline

import "testing"

func TestLineShardBytes(t *testing.T) {
	for _, tc := range []struct {
		shardBytes int64
		minShards  int
		size, want int64
	}{
		{1 << 20, 0, 8 << 20, 1 << 20},          // off
		{1 << 20, 16, 64 << 20, 1 << 20},        // big input: nominal shards
		{1 << 20, 16, 8 << 20, 512 << 10},       // small input: 16 shards
		{1 << 20, 16, 100 << 10, MinShardBytes}, // tiny input: no shard under the floor
		{1 << 20, 16, 1000, MinShardBytes},
		{64, 16, 10_000, 64}, // already at least MinShards shards
		{64, 16, 100, 64},    // never smaller than configured
		{1 << 20, 3, 1_000_001, 333_334},
	} {
		s := &Service{cfg: Config{ShardBytes: tc.shardBytes, MinShards: tc.minShards}}
		if got := s.lineShardBytes(tc.size); got != tc.want {
			t.Errorf("ShardBytes %d, MinShards %d, size %d: %d, want %d", tc.shardBytes, tc.minShards, tc.size, got, tc.want)
		}
	}
}
