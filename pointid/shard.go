package pointid

// Shard is the shard, of n (n ≥ 1), that holds the point id in a sharded
// collection. It must never change: every node of a cluster, and every
// version of Quiver that reads a cluster's data, places a point by it. The
// id's bits are mixed (the SplitMix64 finalizer, Steele et al. 2014)
// before the modulus so that sequential integer ids spread evenly.
func (id ID) Shard(n int) int {
	if n <= 1 {
		return 0
	}
	var h uint64
	if id.isUUID {
		var hi, lo uint64
		for i := 0; i < 8; i++ {
			hi = hi<<8 | uint64(id.uuid[i])
			lo = lo<<8 | uint64(id.uuid[8+i])
		}
		h = mix64(mix64(hi) ^ lo)
	} else {
		h = mix64(id.num)
	}
	return int(h % uint64(n))
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
