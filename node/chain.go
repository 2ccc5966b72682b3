package node

import "github.com/dpsim/dpsim/clock"

// BlockID numbers blocks in the order they are forged, from 0.
type BlockID int32

// NoBlock is the parent of the first block of a chain (genesis).
const NoBlock BlockID = -1

// Block is an immutable record of a forged block.
type Block struct {
	ID       BlockID
	Parent   BlockID
	Height   int32
	Slot     int64
	Producer int32
	// Bytes is the body size in bytes (it sits in Producer's padding).
	// Add leaves it 0; the engine sets it right after Add. Body validation
	// may cost per byte (RelayConfig.BodyValidationPerKiB).
	Bytes int32
	// VRF is the leader's VRF output; among chains of equal length Praos
	// prefers the tip with the lower value.
	VRF uint64
	// Forged is when the producer had the block ready.
	Forged clock.Time
}

// Chain is the table of every block forged in a run, shared read-only by
// all nodes (each node keeps its own tip and what it has).
type Chain struct {
	blocks []Block
}

// Add appends a block, assigning its ID and height.
func (c *Chain) Add(parent BlockID, slot int64, producer int32, vrf uint64, forged clock.Time) *Block {
	h := int32(1)
	if parent != NoBlock {
		h = c.blocks[parent].Height + 1
	}
	c.blocks = append(c.blocks, Block{
		ID: BlockID(len(c.blocks)), Parent: parent, Height: h, Slot: slot,
		Producer: producer, VRF: vrf, Forged: forged,
	})
	return &c.blocks[len(c.blocks)-1]
}

// Get returns block id; the pointer is valid until the next Add.
func (c *Chain) Get(id BlockID) *Block { return &c.blocks[id] }

// Len returns the number of blocks.
func (c *Chain) Len() int { return len(c.blocks) }

// Better reports whether a chain ending in tip a is preferred to one ending
// in b under Praos chain selection: longer wins; at equal length the lower
// VRF wins; NoBlock (genesis) loses to any block.
func (c *Chain) Better(a, b BlockID) bool {
	if a == NoBlock {
		return false
	}
	return c.Beats(&c.blocks[a], b)
}

// Beats is Better for a block record the caller already holds (a copy is
// fine): a relay announcing blk to many peers reads it once.
func (c *Chain) Beats(blk *Block, b BlockID) bool {
	if b == NoBlock {
		return true
	}
	bb := &c.blocks[b]
	if blk.Height != bb.Height {
		return blk.Height > bb.Height
	}
	return blk.VRF < bb.VRF
}
