//! A cell's random stream during its tick: the same ChaCha8 keystream as [`crate::rng`]'s
//! streams (rand_chacha's, word for word), made one 16-word block at a time.
//!
//! Between ticks a cell keeps only its stream's position ([`StreamState`]). rand_chacha
//! rebuilds from a position by making four blocks at once and costs ~280 instructions of
//! set-up besides, while a syn3A tick uses ~23 words: rebuilding that way was a quarter of
//! a VM-tick. Here the block holding the position is made on the first draw and the next
//! one when it runs out (~2.4 blocks a syn3A tick, ~200 instructions each with SSE2). A
//! tick that draws more (an E. coli cell's ~3,800 words, a division) takes its blocks
//! from rand_chacha's generator after [`SINGLE_BLOCKS`]: it makes four blocks at a time on
//! wide vectors, more than twice as cheap per word. A proptest holds the words to
//! rand_chacha's at random keys, streams and positions, on both sides of the change.

use crate::rng::{Stream, StreamState};
use rand::{Rng, SeedableRng, TryRng};
use std::convert::Infallible;

/// ChaCha's constant row: "expand 32-byte k".
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Words per block.
const BLOCK_WORDS: usize = 16;
/// Double rounds: ChaCha8 is 8 rounds.
const DOUBLE_ROUNDS: usize = 4;
/// Blocks made one at a time before going over to rand_chacha's wide generator: a syn3A
/// tick draws ~23 words (two or three blocks); an E. coli tick, hundreds of blocks' worth.
const SINGLE_BLOCKS: u32 = 4;

/// Where a cell's stream stands between ticks: the value of a [`StreamState`] in 56 bytes
/// aligned to 8, where a `StreamState`'s `u128` position makes 64 aligned to 16 and pads
/// every cell to a multiple of 16. The position is a block (64 bits, as ChaCha's counter)
/// and a word in it, which is every position rand_chacha can be at (it wraps at 2⁶⁸
/// words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamPosition {
    seed: [u8; 32],
    stream: u64,
    block: u64,
    word: u8,
}

impl StreamPosition {
    /// The position `state` names (past 2⁶⁸ words, wrapped, as rand_chacha wraps it).
    pub(crate) fn of(state: &StreamState) -> StreamPosition {
        StreamPosition::at_word(state.seed, state.stream, state.word_pos)
    }

    /// Word `word_pos` of stream `stream` under key `seed`.
    fn at_word(seed: [u8; 32], stream: u64, word_pos: u128) -> StreamPosition {
        let (block, word) = (word_pos / BLOCK_WORDS as u128, word_pos % BLOCK_WORDS as u128);
        StreamPosition { seed, stream, block: block as u64, word: word as u8 }
    }

    /// The position as a [`StreamState`].
    pub(crate) fn state(&self) -> StreamState {
        let word_pos = u128::from(self.block) * BLOCK_WORDS as u128 + u128::from(self.word);
        StreamState { seed: self.seed, stream: self.stream, word_pos }
    }
}

/// A ChaCha8 keystream positioned at a word, handing out its words in order.
pub(crate) struct CellStream {
    seed: [u8; 32],
    key: [u32; 8],
    stream: u64,
    /// The block `words` holds.
    block: u64,
    words: [u32; BLOCK_WORDS],
    /// The next word of `words` to hand out; [`BLOCK_WORDS`] when the block is used up or
    /// not made yet.
    next: usize,
    /// Blocks made here so far.
    made: u32,
    /// rand_chacha's generator, once this stream has gone over to it.
    wide: Option<Stream>,
}

impl CellStream {
    /// The stream at `state`'s position: the block holding it is made now, unless the
    /// position starts a block (then the first draw makes it).
    pub(crate) fn at(state: &StreamPosition) -> CellStream {
        let mut key = [0u32; 8];
        for (k, bytes) in key.iter_mut().zip(state.seed.chunks_exact(4)) {
            *k = u32::from_le_bytes(bytes.try_into().expect("4 bytes"));
        }
        let (block, next) = (state.block, usize::from(state.word));
        let mut s = CellStream {
            seed: state.seed,
            key,
            stream: state.stream,
            block,
            words: [0; BLOCK_WORDS],
            next: BLOCK_WORDS,
            made: 0,
            wide: None,
        };
        if next > 0 {
            s.fill();
            s.next = next;
        } else {
            // The first draw makes block `block`: step back one so that `next_block_word`
            // lands there.
            s.block = block.wrapping_sub(1);
        }
        s
    }

    /// The position reached.
    pub(crate) fn position(&self) -> StreamPosition {
        StreamPosition::at_word(self.seed, self.stream, self.word_pos())
    }

    /// The position reached, in words from the start of the stream (what
    /// [`StreamState::word_pos`] holds).
    pub(crate) fn word_pos(&self) -> u128 {
        let blocks = u128::from(self.block) * BLOCK_WORDS as u128 + self.next as u128;
        blocks % (1u128 << 68)
    }

    #[inline]
    fn word(&mut self) -> u32 {
        if self.next == BLOCK_WORDS {
            return self.next_block_word();
        }
        let w = self.words[self.next];
        self.next += 1;
        w
    }

    /// The first word of the next block, made here or copied from the wide generator
    /// (which, once made, is always at the start of the block after `self.block`).
    #[cold]
    fn next_block_word(&mut self) -> u32 {
        self.block = self.block.wrapping_add(1);
        if self.made < SINGLE_BLOCKS {
            self.fill();
        } else {
            let (seed, stream, block) = (self.seed, self.stream, self.block);
            let wide = self.wide.get_or_insert_with(|| {
                let mut wide = Stream::from_seed(seed);
                wide.set_stream(stream);
                wide.set_word_pos(u128::from(block) * BLOCK_WORDS as u128);
                wide
            });
            self.words.iter_mut().for_each(|w| *w = wide.next_u32());
        }
        self.next = 1;
        self.words[0]
    }

    /// Makes block `self.block` here and rewinds to its first word.
    fn fill(&mut self) {
        self.made += 1;
        let k = &self.key;
        let input = [
            CONSTANTS[0],
            CONSTANTS[1],
            CONSTANTS[2],
            CONSTANTS[3],
            k[0],
            k[1],
            k[2],
            k[3],
            k[4],
            k[5],
            k[6],
            k[7],
            self.block as u32,
            (self.block >> 32) as u32,
            self.stream as u32,
            (self.stream >> 32) as u32,
        ];
        self.words = block(&input);
        self.next = 0;
    }
}

impl TryRng for CellStream {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.word())
    }

    /// Two consecutive words, the first the low half (as rand_chacha joins them).
    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        if self.next + 2 <= BLOCK_WORDS {
            let (lo, hi) = (self.words[self.next], self.words[self.next + 1]);
            self.next += 2;
            return Ok(u64::from(hi) << 32 | u64::from(lo));
        }
        let lo = self.word();
        let hi = self.word();
        Ok(u64::from(hi) << 32 | u64::from(lo))
    }

    fn try_fill_bytes(&mut self, bytes: &mut [u8]) -> Result<(), Infallible> {
        for chunk in bytes.chunks_mut(4) {
            let w = self.word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

/// One ChaCha8 block of `input` (the 16-word state), on SSE2, which every x86-64 has.
#[cfg(target_arch = "x86_64")]
fn block(input: &[u32; BLOCK_WORDS]) -> [u32; BLOCK_WORDS] {
    // SAFETY: SSE2 is part of x86-64 itself: every CPU this code runs on has it.
    unsafe { sse2::block(input) }
}

/// One ChaCha8 block of `input`, word by word, where SSE2 is not there.
#[cfg(not(target_arch = "x86_64"))]
fn block(input: &[u32; BLOCK_WORDS]) -> [u32; BLOCK_WORDS] {
    scalar_block(input)
}

/// The reference block function (RFC 8439 §2.3, with 8 rounds): the other backends are
/// tested against it.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn scalar_block(input: &[u32; BLOCK_WORDS]) -> [u32; BLOCK_WORDS] {
    fn quarter(x: &mut [u32; BLOCK_WORDS], a: usize, b: usize, c: usize, d: usize) {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    }
    let mut x = *input;
    for _ in 0..DOUBLE_ROUNDS {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    for (w, i) in x.iter_mut().zip(input) {
        *w = w.wrapping_add(*i);
    }
    x
}

/// The block function on four SSE2 rows: a column round works on whole rows, and a
/// diagonal round is a column round after rotating rows 1–3 by 1, 2 and 3 lanes.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{BLOCK_WORDS, DOUBLE_ROUNDS};
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_or_si128, _mm_shuffle_epi32, _mm_slli_epi32, _mm_srli_epi32, _mm_xor_si128,
    };

    fn row(words: &[u32]) -> __m128i {
        let lanes: [u32; 4] = words.try_into().expect("4 words");
        // SAFETY: `[u32; 4]` and `__m128i` are 16 bytes and every bit pattern is valid
        // for both.
        unsafe { std::mem::transmute::<[u32; 4], __m128i>(lanes) }
    }

    fn lanes(v: __m128i) -> [u32; 4] {
        // SAFETY: as in `row`.
        unsafe { std::mem::transmute::<__m128i, [u32; 4]>(v) }
    }

    macro_rules! rotl {
        ($v:expr, $n:literal) => {
            _mm_or_si128(_mm_slli_epi32::<$n>($v), _mm_srli_epi32::<{ 32 - $n }>($v))
        };
    }

    #[target_feature(enable = "sse2")]
    fn round(a: &mut __m128i, b: &mut __m128i, c: &mut __m128i, d: &mut __m128i) {
        *a = _mm_add_epi32(*a, *b);
        *d = rotl!(_mm_xor_si128(*d, *a), 16);
        *c = _mm_add_epi32(*c, *d);
        *b = rotl!(_mm_xor_si128(*b, *c), 12);
        *a = _mm_add_epi32(*a, *b);
        *d = rotl!(_mm_xor_si128(*d, *a), 8);
        *c = _mm_add_epi32(*c, *d);
        *b = rotl!(_mm_xor_si128(*b, *c), 7);
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn block(input: &[u32; BLOCK_WORDS]) -> [u32; BLOCK_WORDS] {
        let rows = [row(&input[0..4]), row(&input[4..8]), row(&input[8..12]), row(&input[12..16])];
        let [mut a, mut b, mut c, mut d] = rows;
        for _ in 0..DOUBLE_ROUNDS {
            round(&mut a, &mut b, &mut c, &mut d);
            // Lane i of row r moves to lane i − r: the diagonals line up as columns.
            b = _mm_shuffle_epi32::<0b00_11_10_01>(b);
            c = _mm_shuffle_epi32::<0b01_00_11_10>(c);
            d = _mm_shuffle_epi32::<0b10_01_00_11>(d);
            round(&mut a, &mut b, &mut c, &mut d);
            b = _mm_shuffle_epi32::<0b10_01_00_11>(b);
            c = _mm_shuffle_epi32::<0b01_00_11_10>(c);
            d = _mm_shuffle_epi32::<0b00_11_10_01>(d);
        }
        let mut out = [0u32; BLOCK_WORDS];
        for (k, (v, r)) in [a, b, c, d].into_iter().zip(rows).enumerate() {
            out[4 * k..4 * k + 4].copy_from_slice(&lanes(_mm_add_epi32(v, r)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Word for word rand_chacha's ChaCha8 from any key, stream and position, drawn
        /// as the engine draws (32- and 64-bit words, mixed), across block boundaries.
        #[test]
        fn the_words_are_rand_chachas(
            seed in any::<[u8; 32]>(),
            stream in prop_oneof![Just(0u64), any::<u64>()],
            word_pos in prop_oneof![0u128..100, any::<u64>().prop_map(u128::from), any::<u128>()],
            draws in proptest::collection::vec(any::<bool>(), 1..400),
        ) {
            let mut reference = Stream::from_seed(seed);
            reference.set_stream(stream);
            reference.set_word_pos(word_pos);
            let mut ours = CellStream::at(&StreamPosition::of(&StreamState::capture(&reference)));
            prop_assert_eq!(ours.word_pos(), reference.get_word_pos());
            for wide in draws {
                if wide {
                    prop_assert_eq!(ours.next_u64(), reference.next_u64());
                } else {
                    prop_assert_eq!(ours.next_u32(), reference.next_u32());
                }
                prop_assert_eq!(ours.word_pos(), reference.get_word_pos());
            }
        }

        #[test]
        fn the_sse2_block_is_the_reference_block(input in any::<[u32; 16]>()) {
            prop_assert_eq!(block(&input), scalar_block(&input));
        }
    }
}
