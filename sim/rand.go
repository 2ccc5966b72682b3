package sim

import "math/rand/v2"

// splitmix64 is Steele, Lea and Flood's SplitMix64 finaliser: a bijective
// mix with full avalanche, so nearby inputs give unrelated outputs.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// fnv64a hashes a label (FNV-1a, 64 bit).
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// DeriveSeed returns two 64-bit seeds for the stream named (label, id) under
// master. The result depends only on its three arguments, so streams are
// independent of creation order and of how many other streams exist.
func DeriveSeed(master uint64, label string, id uint64) (uint64, uint64) {
	a := splitmix64(master ^ splitmix64(fnv64a(label)))
	b := splitmix64(a ^ splitmix64(id+0x632be59bd9b4e019))
	return b, splitmix64(b ^ 0xd1b54a32d192ed03)
}

// Derive returns the random stream named (label, id) under master: a PCG
// generator seeded by DeriveSeed. Use one stream per component and node,
// e.g. Derive(seed, "governor", node).
func Derive(master uint64, label string, id uint64) *rand.Rand {
	return rand.New(rand.NewPCG(DeriveSeed(master, label, id)))
}
