//! A cell's random stream during its tick: the same ChaCha8 keystream as [`crate::rng`]'s
//! streams (rand_chacha's, word for word), made one or two 16-word blocks at a time.
//!
//! Between ticks a cell keeps only its stream's position ([`StreamState`]). rand_chacha
//! rebuilds from a position by making four blocks at once and costs ~280 instructions of
//! set-up besides, while a syn3A tick uses ~23 words: rebuilding that way was a quarter of
//! a VM-tick. Here the block holding the position is made on the first draw and the next
//! one when it runs out (~2.4 blocks a syn3A tick, ~200 instructions each with SSE2);
//! where the CPU has AVX2, a block and the one after it are made together for about the
//! price of one (~190 instructions the pair; ~300 less a syn3A VM-tick), however many
//! the tick draws. Without AVX2, a tick that draws more (an E. coli cell's ~3,800 words, a
//! division) takes its blocks from rand_chacha's generator after [`SINGLE_BLOCKS`]: it
//! makes four blocks at a time on wide vectors, more than twice as cheap per word as
//! single blocks on SSE2; with AVX2, four at a time; with AVX-512, eight (an E. coli
//! VM-tick ×1.25 against four on AVX2). Proptests hold the words to
//! rand_chacha's at random keys, streams and positions, on both sides of the change and
//! with or without pairs, and each block function to the scalar reference.

use crate::rng::{Stream, StreamState};
use rand::{Rng, SeedableRng, TryRng};
use std::convert::Infallible;

/// ChaCha's constant row: "expand 32-byte k".
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Words per block.
const BLOCK_WORDS: usize = 16;
/// Double rounds: ChaCha8 is 8 rounds.
const DOUBLE_ROUNDS: usize = 4;
/// Blocks made before a tick's stream goes over to making more at a time: without AVX2, to
/// rand_chacha's wide generator; with it, from pairs to two pairs at once. A syn3A tick
/// draws ~23 words (two or three blocks); an E. coli tick, hundreds of blocks' worth.
const SINGLE_BLOCKS: u32 = 4;
/// Blocks made at once past [`SINGLE_BLOCKS`] where the CPU has AVX-512.
const EIGHT: usize = 8;
/// Words of a stream's buffer for a cell that draws a few blocks a tick.
pub(crate) const FOUR_BLOCKS: usize = 4 * BLOCK_WORDS;
/// Words of a stream's buffer for a cell that draws hundreds.
pub(crate) const EIGHT_BLOCKS: usize = EIGHT * BLOCK_WORDS;

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
///
/// `WORDS` is the buffer's size: [`FOUR_BLOCKS`] for cells that draw a few blocks a tick,
/// [`EIGHT_BLOCKS`] for those that draw hundreds (`Program::draws_many`), which make eight
/// at a time on AVX-512. The words are the same either way; a stream is built once per
/// VM-tick, and zeroing an eight-block buffer each time cost a syn3A VM-tick at 100,000
/// VMs 2.7 %.
pub(crate) struct CellStream<const WORDS: usize = FOUR_BLOCKS> {
    seed: [u8; 32],
    key: [u32; 8],
    stream: u64,
    /// The first block `words` holds.
    block: u64,
    /// One block, or two or four made at once where the CPU has AVX2, or eight where it
    /// has AVX-512.
    words: [u32; WORDS],
    /// Words `words` holds: 0 before the first block is made, then one, two, four or eight
    /// blocks'.
    len: usize,
    /// The next word of `words` to hand out; `len` when they are used up. Before the
    /// first block is made (`len` 0), the word of block `block` the stream stands at.
    next: usize,
    /// Blocks made here so far.
    made: u32,
    /// Whether to make two blocks at a time (AVX2, detected once per stream).
    pairs: bool,
    /// Whether to make eight at a time once past [`SINGLE_BLOCKS`] (AVX-512, with pairs).
    eights: bool,
    /// rand_chacha's generator, once this stream has gone over to it.
    wide: Option<Stream>,
}

impl<const WORDS: usize> CellStream<WORDS> {
    /// The stream at `state`'s position; the first draw makes the block holding it. Made
    /// once per VM-tick: nothing is computed here, so that the compiler builds the stream
    /// in place in the caller's frame (making the block here made it copy the whole
    /// stream out, a memcpy per VM-tick).
    #[inline]
    pub(crate) fn at(state: &StreamPosition) -> CellStream<WORDS> {
        // A four-block stream never asks for AVX-512 (one check fewer a syn3A VM-tick).
        CellStream::making_pairs(state, pairs_available(), WORDS == EIGHT_BLOCKS && eights_available())
    }

    /// [`CellStream::at`], making two blocks at a time or not as `pairs` says, and eight
    /// past the first blocks as `eights` says (tests take every path the CPU has).
    #[inline]
    fn making_pairs(state: &StreamPosition, pairs: bool, eights: bool) -> CellStream<WORDS> {
        const { assert!(WORDS == FOUR_BLOCKS || WORDS == EIGHT_BLOCKS) };
        let mut key = [0u32; 8];
        for (k, bytes) in key.iter_mut().zip(state.seed.chunks_exact(4)) {
            *k = u32::from_le_bytes(bytes.try_into().expect("4 bytes"));
        }
        CellStream {
            seed: state.seed,
            key,
            stream: state.stream,
            block: state.block,
            words: [0; WORDS],
            len: 0,
            next: usize::from(state.word),
            made: 0,
            pairs,
            eights: pairs && eights && WORDS == EIGHT_BLOCKS,
            wide: None,
        }
    }

    /// Two consecutive words, the first the low half (as rand_chacha joins them): what
    /// [`Rng::next_u64`] hands out. Always inlined, for the loop that picks an mRNA per
    /// protein started (`Vm::translate`), where a call cost more than the word (~18
    /// instructions a pick).
    #[inline(always)]
    pub(crate) fn word64(&mut self) -> u64 {
        if self.next + 2 <= self.len {
            let (lo, hi) = (self.words[self.next], self.words[self.next + 1]);
            self.next += 2;
            return u64::from(hi) << 32 | u64::from(lo);
        }
        let lo = self.word();
        let hi = self.word();
        u64::from(hi) << 32 | u64::from(lo)
    }

    /// One word: what [`Rng::next_u32`] hands out. Always inlined, for the same loop's
    /// picks when they take one word each (`sample::below32`).
    #[inline(always)]
    pub(crate) fn word32(&mut self) -> u32 {
        self.word()
    }

    /// The position reached.
    pub(crate) fn position(&self) -> StreamPosition {
        StreamPosition::at_word(self.seed, self.stream, self.word_pos())
    }

    /// The position reached, in words from the start of the stream (what
    /// [`StreamState::word_pos`] holds).
    pub(crate) fn word_pos(&self) -> u128 {
        let words = u128::from(self.block) * BLOCK_WORDS as u128 + self.next as u128;
        words % (1u128 << 68)
    }

    #[inline]
    fn word(&mut self) -> u32 {
        if self.next >= self.len {
            return self.next_block_word();
        }
        let w = self.words[self.next];
        self.next += 1;
        w
    }

    /// The next word from a block not made yet: the stream's first block (at the word it
    /// stands at), or the next block, made here or copied from the wide generator (which,
    /// once made, is always at the start of the block after those `words` held).
    #[cold]
    fn next_block_word(&mut self) -> u32 {
        if self.len == 0 {
            let start = self.next;
            self.fill();
            self.next = start + 1;
            return self.words[start];
        }
        self.block = self.block.wrapping_add((self.len / BLOCK_WORDS) as u64);
        // Pairs made here cost ~95 instructions a block, written where they are read; the
        // wide generator's four blocks cost ~80 a block but ~110 more to copy out word by
        // word. Without AVX2, single blocks cost ~200 and the wide generator wins.
        if self.pairs || self.made < SINGLE_BLOCKS {
            self.fill();
        } else {
            let (seed, stream, block) = (self.seed, self.stream, self.block);
            let wide = self.wide.get_or_insert_with(|| {
                let mut wide = Stream::from_seed(seed);
                wide.set_stream(stream);
                wide.set_word_pos(u128::from(block) * BLOCK_WORDS as u128);
                wide
            });
            self.words[..BLOCK_WORDS].iter_mut().for_each(|w| *w = wide.next_u32());
            self.len = BLOCK_WORDS;
        }
        self.next = 1;
        self.words[0]
    }

    /// Makes block `self.block` here (and the one or three after it, where the CPU has
    /// AVX2: four once the tick has drawn [`SINGLE_BLOCKS`]) and rewinds to its first word.
    fn fill(&mut self) {
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
        if self.eights && self.made >= SINGLE_BLOCKS {
            eight_blocks(&input, &mut self.words[..EIGHT_BLOCKS]);
            self.len = EIGHT_BLOCKS;
            self.made += EIGHT as u32;
        } else if self.pairs && self.made >= SINGLE_BLOCKS {
            pairs_of_blocks::<2>(&input, &mut self.words[..FOUR_BLOCKS]);
            self.len = FOUR_BLOCKS;
            self.made += 4;
        } else if self.pairs {
            pairs_of_blocks::<1>(&input, &mut self.words[..2 * BLOCK_WORDS]);
            self.len = 2 * BLOCK_WORDS;
            self.made += 2;
        } else {
            self.words[..BLOCK_WORDS].copy_from_slice(&block(&input));
            self.len = BLOCK_WORDS;
            self.made += 1;
        }
        self.next = 0;
    }
}

impl<const WORDS: usize> TryRng for CellStream<WORDS> {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.word())
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.word64())
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

/// Whether this CPU makes two blocks at once ([`pairs_of_blocks`]): AVX2, detected at run time
/// (the answer is cached by the standard library).
#[cfg(target_arch = "x86_64")]
fn pairs_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn pairs_available() -> bool {
    false
}

/// Whether this CPU makes eight blocks at once ([`eight_blocks`]): AVX-512 (foundation),
/// detected at run time.
#[cfg(target_arch = "x86_64")]
fn eights_available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(not(target_arch = "x86_64"))]
fn eights_available() -> bool {
    false
}

/// Blocks `input` and the seven after it into `out` (`8 × 16` words), on AVX-512: two
/// sets of four blocks, each block in a 128-bit lane of sixteen-lane rows, the sets'
/// rounds interleaved, rotations in one instruction each. An E. coli tick draws ~240
/// blocks; eight this way cost about what four do on AVX2.
#[cfg(target_arch = "x86_64")]
fn eight_blocks(input: &[u32; BLOCK_WORDS], out: &mut [u32]) {
    debug_assert!(eights_available());
    // SAFETY: called only where `eights_available` found AVX-512 (`CellStream::eights`).
    unsafe { avx512::blocks(input, out) }
}

#[cfg(not(target_arch = "x86_64"))]
fn eight_blocks(input: &[u32; BLOCK_WORDS], out: &mut [u32]) {
    pairs_of_blocks::<4>(input, out);
}

/// Blocks `input` and the `2 × PAIRS − 1` after it (the counter in words 12–13 counting
/// on, carried), into `out` (`32 × PAIRS` words), on AVX2: a pair in the two halves of
/// eight-lane rows, for about the instructions of one block on SSE2. A syn3A tick uses
/// two or three blocks (one pair, sometimes two); a tick that draws many more (E. coli)
/// makes two pairs at a time, their rounds interleaved.
#[cfg(target_arch = "x86_64")]
fn pairs_of_blocks<const PAIRS: usize>(input: &[u32; BLOCK_WORDS], out: &mut [u32]) {
    debug_assert!(pairs_available());
    // SAFETY: called only where `pairs_available` found AVX2 (`CellStream::pairs`).
    unsafe { avx2::blocks::<PAIRS>(input, out) }
}

#[cfg(not(target_arch = "x86_64"))]
fn pairs_of_blocks<const PAIRS: usize>(input: &[u32; BLOCK_WORDS], out: &mut [u32]) {
    let mut next = *input;
    for block_out in out.chunks_exact_mut(BLOCK_WORDS) {
        block_out.copy_from_slice(&block(&next));
        next = following(&next);
    }
}

/// The input of the block after `input`'s: its 64-bit counter (words 12 and 13) plus one,
/// wrapping as ChaCha's counter does.
fn following(input: &[u32; BLOCK_WORDS]) -> [u32; BLOCK_WORDS] {
    let counter = (u64::from(input[13]) << 32 | u64::from(input[12])).wrapping_add(1);
    let mut next = *input;
    next[12] = counter as u32;
    next[13] = (counter >> 32) as u32;
    next
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

/// Two blocks on AVX2: row r of the first block in the low half of an eight-lane row, of
/// the second in the high half. Every operation of the rounds stays within a half, so
/// each half is [`sse2::block`]'s computation; rotations by 16 and 8 bits are byte
/// shuffles.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BLOCK_WORDS, DOUBLE_ROUNDS, following};
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_or_si256, _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_shuffle_epi32,
        _mm256_slli_epi32, _mm256_srli_epi32, _mm256_xor_si256,
    };

    /// Byte orders that rotate every 32-bit lane left by 16 and by 8 bits.
    const ROTATE_16: [u8; 32] = lane_bytes([2, 3, 0, 1]);
    const ROTATE_8: [u8; 32] = lane_bytes([3, 0, 1, 2]);

    const fn lane_bytes(order: [u8; 4]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            out[i] = (i as u8 & !3) % 16 + order[i % 4];
            i += 1;
        }
        out
    }

    fn vector(bytes: [u8; 32]) -> __m256i {
        // SAFETY: 32 bytes either way, and every bit pattern is valid for both.
        unsafe { std::mem::transmute::<[u8; 32], __m256i>(bytes) }
    }

    fn from_words(w: [u32; 8]) -> __m256i {
        // SAFETY: as in `vector`.
        unsafe { std::mem::transmute::<[u32; 8], __m256i>(w) }
    }

    fn words(v: __m256i) -> [u32; 8] {
        // SAFETY: as in `vector`.
        unsafe { std::mem::transmute::<__m256i, [u32; 8]>(v) }
    }

    /// Row `r` of both blocks: the first's four words, then the second's.
    fn row(first: &[u32; BLOCK_WORDS], second: &[u32; BLOCK_WORDS], r: usize) -> __m256i {
        let mut w = [0u32; 8];
        w[..4].copy_from_slice(&first[4 * r..4 * r + 4]);
        w[4..].copy_from_slice(&second[4 * r..4 * r + 4]);
        from_words(w)
    }

    #[target_feature(enable = "avx2")]
    fn round(a: &mut __m256i, b: &mut __m256i, c: &mut __m256i, d: &mut __m256i, r16: __m256i, r8: __m256i) {
        *a = _mm256_add_epi32(*a, *b);
        *d = _mm256_shuffle_epi8(_mm256_xor_si256(*d, *a), r16);
        *c = _mm256_add_epi32(*c, *d);
        let x = _mm256_xor_si256(*b, *c);
        *b = _mm256_or_si256(_mm256_slli_epi32::<12>(x), _mm256_srli_epi32::<20>(x));
        *a = _mm256_add_epi32(*a, *b);
        *d = _mm256_shuffle_epi8(_mm256_xor_si256(*d, *a), r8);
        *c = _mm256_add_epi32(*c, *d);
        let x = _mm256_xor_si256(*b, *c);
        *b = _mm256_or_si256(_mm256_slli_epi32::<7>(x), _mm256_srli_epi32::<25>(x));
    }

    /// Blocks `input` and the `2 × PAIRS − 1` after it, into `out` (`32 × PAIRS` words):
    /// each pair in one set of eight-lane rows, the sets' rounds interleaved. A block's
    /// rounds are one chain of dependent instructions (~135 cycles a pair on this
    /// machine, ~1.3 instructions a cycle); two independent chains side by side keep the
    /// vector units busy while each waits.
    #[target_feature(enable = "avx2")]
    pub(super) fn blocks<const PAIRS: usize>(input: &[u32; BLOCK_WORDS], out: &mut [u32]) {
        assert_eq!(out.len(), PAIRS * 2 * BLOCK_WORDS, "room for {PAIRS} pairs of blocks");
        let (r16, r8) = (vector(ROTATE_16), vector(ROTATE_8));
        let mut start = [[_mm256_setzero_si256(); 4]; PAIRS];
        let mut first = *input;
        for rows in &mut start {
            let second = following(&first);
            *rows = [0, 1, 2, 3].map(|r| row(&first, &second, r));
            first = following(&second);
        }
        let mut state = start;
        for _ in 0..DOUBLE_ROUNDS {
            for [a, b, c, d] in &mut state {
                round(a, b, c, d, r16, r8);
                *b = _mm256_shuffle_epi32::<0b00_11_10_01>(*b);
                *c = _mm256_shuffle_epi32::<0b01_00_11_10>(*c);
                *d = _mm256_shuffle_epi32::<0b10_01_00_11>(*d);
            }
            for [a, b, c, d] in &mut state {
                round(a, b, c, d, r16, r8);
                *b = _mm256_shuffle_epi32::<0b10_01_00_11>(*b);
                *c = _mm256_shuffle_epi32::<0b01_00_11_10>(*c);
                *d = _mm256_shuffle_epi32::<0b00_11_10_01>(*d);
            }
        }
        for (p, (rows, start)) in state.iter().zip(&start).enumerate() {
            let out = &mut out[p * 2 * BLOCK_WORDS..(p + 1) * 2 * BLOCK_WORDS];
            for (k, (v, r)) in rows.iter().zip(start).enumerate() {
                let w = words(_mm256_add_epi32(*v, *r));
                out[4 * k..4 * k + 4].copy_from_slice(&w[..4]);
                out[BLOCK_WORDS + 4 * k..BLOCK_WORDS + 4 * k + 4].copy_from_slice(&w[4..]);
            }
        }
    }
}

/// Four blocks on AVX-512: row r of block j in 128-bit lane j of a sixteen-lane row,
/// as [`avx2`] holds two; `vprold` rotates each lane in one instruction.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{BLOCK_WORDS, DOUBLE_ROUNDS, EIGHT, following};
    use std::arch::x86_64::{
        __m512i, _MM_PERM_ENUM, _mm512_add_epi32, _mm512_rol_epi32, _mm512_setzero_si512, _mm512_shuffle_epi32,
        _mm512_xor_si512,
    };

    const LEFT_1: _MM_PERM_ENUM = 0b00_11_10_01;
    const LEFT_2: _MM_PERM_ENUM = 0b01_00_11_10;
    const LEFT_3: _MM_PERM_ENUM = 0b10_01_00_11;

    fn from_words(w: [u32; 16]) -> __m512i {
        // SAFETY: 64 bytes either way, and every bit pattern is valid for both.
        unsafe { std::mem::transmute::<[u32; 16], __m512i>(w) }
    }

    fn words(v: __m512i) -> [u32; 16] {
        // SAFETY: as in `from_words`.
        unsafe { std::mem::transmute::<__m512i, [u32; 16]>(v) }
    }

    #[target_feature(enable = "avx512f")]
    fn round(a: &mut __m512i, b: &mut __m512i, c: &mut __m512i, d: &mut __m512i) {
        *a = _mm512_add_epi32(*a, *b);
        *d = _mm512_rol_epi32::<16>(_mm512_xor_si512(*d, *a));
        *c = _mm512_add_epi32(*c, *d);
        *b = _mm512_rol_epi32::<12>(_mm512_xor_si512(*b, *c));
        *a = _mm512_add_epi32(*a, *b);
        *d = _mm512_rol_epi32::<8>(_mm512_xor_si512(*d, *a));
        *c = _mm512_add_epi32(*c, *d);
        *b = _mm512_rol_epi32::<7>(_mm512_xor_si512(*b, *c));
    }

    /// Blocks `input` and the seven after it, into `out` (`8 × 16` words).
    #[target_feature(enable = "avx512f")]
    pub(super) fn blocks(input: &[u32; BLOCK_WORDS], out: &mut [u32]) {
        assert_eq!(out.len(), EIGHT * BLOCK_WORDS, "room for eight blocks");
        let mut inputs = [*input; EIGHT];
        for j in 1..EIGHT {
            inputs[j] = following(&inputs[j - 1]);
        }
        let mut start = [[_mm512_setzero_si512(); 4]; 2];
        for (set, rows) in start.iter_mut().enumerate() {
            for (r, row) in rows.iter_mut().enumerate() {
                let mut w = [0u32; 16];
                for j in 0..4 {
                    w[4 * j..4 * j + 4].copy_from_slice(&inputs[4 * set + j][4 * r..4 * r + 4]);
                }
                *row = from_words(w);
            }
        }
        let mut state = start;
        for _ in 0..DOUBLE_ROUNDS {
            for [a, b, c, d] in &mut state {
                round(a, b, c, d);
                *b = _mm512_shuffle_epi32::<LEFT_1>(*b);
                *c = _mm512_shuffle_epi32::<LEFT_2>(*c);
                *d = _mm512_shuffle_epi32::<LEFT_3>(*d);
            }
            for [a, b, c, d] in &mut state {
                round(a, b, c, d);
                *b = _mm512_shuffle_epi32::<LEFT_3>(*b);
                *c = _mm512_shuffle_epi32::<LEFT_2>(*c);
                *d = _mm512_shuffle_epi32::<LEFT_1>(*d);
            }
        }
        for (set, (rows, start)) in state.iter().zip(&start).enumerate() {
            for (r, (v, s)) in rows.iter().zip(start).enumerate() {
                let w = words(_mm512_add_epi32(*v, *s));
                for j in 0..4 {
                    let block = (4 * set + j) * BLOCK_WORDS;
                    out[block + 4 * r..block + 4 * r + 4].copy_from_slice(&w[4 * j..4 * j + 4]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `ours` hands out `reference`'s words, drawn as `draws` says (64 bits where true).
    fn same_words<const W: usize>(
        mut ours: CellStream<W>,
        mut reference: Stream,
        draws: &[bool],
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(ours.word_pos(), reference.get_word_pos());
        for &wide in draws {
            if wide {
                prop_assert_eq!(ours.next_u64(), reference.next_u64());
            } else {
                prop_assert_eq!(ours.next_u32(), reference.next_u32());
            }
            prop_assert_eq!(ours.word_pos(), reference.get_word_pos());
        }
        Ok(())
    }

    proptest! {
        /// Word for word rand_chacha's ChaCha8 from any key, stream and position, drawn
        /// as the engine draws (32- and 64-bit words, mixed), across block boundaries.
        #[test]
        fn the_words_are_rand_chachas(
            seed in any::<[u8; 32]>(),
            stream in prop_oneof![Just(0u64), any::<u64>()],
            word_pos in prop_oneof![0u128..100, any::<u64>().prop_map(u128::from), any::<u128>()],
            draws in proptest::collection::vec(any::<bool>(), 1..400),
            single in any::<bool>(),
            eights in any::<bool>(),
        ) {
            let mut reference = Stream::from_seed(seed);
            reference.set_stream(stream);
            reference.set_word_pos(word_pos);
            let position = StreamPosition::of(&StreamState::capture(&reference));
            let (pairs, eights) = (pairs_available() && !single, eights && eights_available());
            let four = CellStream::<FOUR_BLOCKS>::making_pairs(&position, pairs, eights);
            same_words(four, reference.clone(), &draws)?;
            let eight = CellStream::<EIGHT_BLOCKS>::making_pairs(&position, pairs, eights);
            same_words(eight, reference, &draws)?;
        }

        #[test]
        fn the_sse2_block_is_the_reference_block(input in any::<[u32; 16]>()) {
            prop_assert_eq!(block(&input), scalar_block(&input));
        }

        /// Two and four blocks at once are the reference's blocks, the counter carried
        /// into its high word and wrapped (words 12 and 13 drawn near their limits).
        #[test]
        fn pairs_of_blocks_are_the_reference_blocks(
            mut input in any::<[u32; 16]>(),
            low in prop_oneof![Just(u32::MAX), Just(u32::MAX - 2), any::<u32>()],
            high in prop_oneof![Just(u32::MAX), any::<u32>()],
        ) {
            if cfg!(target_arch = "x86_64") && !pairs_available() {
                return Ok(()); // No AVX2 here: the pair path is never taken on this CPU.
            }
            (input[12], input[13]) = (low, high);
            let mut reference = Vec::new();
            let mut next = input;
            for _ in 0..4 {
                reference.extend_from_slice(&scalar_block(&next));
                next = following(&next);
            }
            let mut two = [0; 32];
            pairs_of_blocks::<1>(&input, &mut two);
            prop_assert_eq!(&two[..], &reference[..32]);
            let mut four = [0; 64];
            pairs_of_blocks::<2>(&input, &mut four);
            prop_assert_eq!(&four[..], &reference[..]);
            if eights_available() {
                for _ in 4..EIGHT {
                    reference.extend_from_slice(&scalar_block(&next));
                    next = following(&next);
                }
                let mut eight = [0; EIGHT * BLOCK_WORDS];
                eight_blocks(&input, &mut eight);
                prop_assert_eq!(&eight[..], &reference[..]);
            }
        }
    }
}
