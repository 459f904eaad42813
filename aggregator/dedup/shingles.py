"""Near-duplicate signatures: MinHash over text shingles, and the LSH threshold to find them.

Owns how a folded text becomes a signature (level 2 of aggregator.dedup): shingles are
SHINGLE_SIZE consecutive units, a unit being one CJK character or one word, so CJK text gets
character 3-grams and Latin text word 3-grams. Pure: no I/O.

Why datasketch: a maintained MinHash/LSH whose choice of LSH bands for a threshold we use as
is (the band keys live in the store, see aggregator.dedup.lookup), and whose seeded
permutations (MinHash(NUM_PERM, MINHASH_SEED, MINHASH_SCHEME).permutations) we apply to our
shingle hashes, so signatures stored today still compare with tomorrow's; the permutation
scheme is pinned (MINHASH_SCHEME) because datasketch 2 changed its default and refuses to mix
schemes. The permutations are drawn here as datasketch draws them (numpy's RandomState,
seeded with MINHASH_SEED) rather than taken from a MinHash: importing datasketch loads scipy,
about 0.45 s in every worker process, and no signature needs it (tests/test_dedup.py pins the
two equal).

Why we hash shingles ourselves: MinHash.update_batch hashes each shingle with sha1 in a
Python loop (about a microsecond per shingle, a millisecond per article). shingle_hashes does
the same job on whole arrays with numpy: each unit's code points are mixed with their
position, summed into a 64-bit unit hash, and three consecutive unit hashes are chained
through the MurmurHash3 64-bit finaliser. Every step is a fixed function of the code points,
never Python's per-process hash(), so a signature is the same in every process and run. What
follows is exactly MinHash.update_batch given that hash: datasketch's own 32-bit pre-mix,
then its affine permutations `a * h + b mod 2**32`, then the minimum over shingles
(tests/test_dedup.py checks this against datasketch itself).
"""

from __future__ import annotations

import functools
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

# datasketch is imported only where its LSH chooses bands, never here: importing it loads scipy
# (~0.45 s), which neither a worker making signatures nor a build with nothing new to decide
# needs.

NUM_PERM: Final = 128
MINHASH_SEED: Final = 1
MINHASH_SCHEME: Final = "affine32"
SHINGLE_SIZE: Final = 3
MIN_TEXT_UNITS: Final = 20  # shorter texts (stubs, "read more") get no signature
# LSH looks for candidates a little below the threshold, so borderline pairs are not missed;
# datasketch needs at least two bands, which caps the LSH threshold.
LSH_SLACK: Final = 0.1
LSH_THRESHOLD_RANGE: Final = (0.05, 0.95)
# Shingles are permuted this many at a time, so a huge text never needs a huge array.
PERMUTE_ROWS: Final = 2048

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
_A = TypeVar("_A", U64, U32)

# MurmurHash3 finalisers: fixed bijections that spread every input bit over the output.
_FMIX64: Final = (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)
_FMIX32: Final = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)  # datasketch's pre-mix for affine32
_SHINGLE_KEY: Final = np.uint64(0x9E3779B97F4A7C15)  # starts the chain of a shingle's units
_MAX_HASH: Final = 2**32 - 1  # a signature's start: any permuted hash is at most this


def minhash_signature(units: list[str]) -> tuple[int, ...]:
    """MinHash the shingles of `units` (see textfold.shingle_units); () if too short."""
    if len(units) < max(MIN_TEXT_UNITS, SHINGLE_SIZE):
        return ()
    hashes = _fmix(shingle_hashes(units), _FMIX32)
    a, b = _permutations()
    signature = np.full(NUM_PERM, _MAX_HASH, dtype=np.uint32)
    for start in range(0, len(hashes), PERMUTE_ROWS):
        permuted = a[:, np.newaxis] * hashes[np.newaxis, start : start + PERMUTE_ROWS]
        permuted += b[:, np.newaxis]
        np.minimum(signature, permuted.min(axis=1), out=signature)
    return tuple(signature.tolist())


def shingle_hashes(units: list[str]) -> U32:
    """The 32-bit hash of each run of SHINGLE_SIZE consecutive units, in text order.

    A shingle that occurs twice is hashed twice: MinHash takes minimums, so repeats do not
    change a signature.
    """
    ids = unit_hashes(units)
    count = len(ids) - SHINGLE_SIZE + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    chained = _fmix(ids[:count] ^ _SHINGLE_KEY, _FMIX64)
    for offset in range(1, SHINGLE_SIZE):
        chained ^= ids[offset : offset + count]
        _fmix(chained, _FMIX64)
    return (chained >> np.uint64(32)).astype(np.uint32)


def unit_hashes(units: list[str]) -> U64:
    """A stable 64-bit hash of each unit: its code points mixed with their positions, summed.

    (code point << 32 | position) is distinct for every code point and position, and the
    finaliser is a bijection, so two units collide only by a chance of about 2**-64. The
    units are joined with NUL, which no unit contains, to find where each one ends.
    """
    if not units:
        return np.zeros(0, dtype=np.uint64)
    text = "\0".join(units) + "\0"
    code_points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    ends = np.flatnonzero(code_points == 0)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    positions = np.arange(len(code_points)) - np.repeat(starts, lengths + 1)
    mixed = code_points.astype(np.uint64) << np.uint64(32)
    mixed |= positions.astype(np.uint64)
    _fmix(mixed, _FMIX64)
    mixed[ends] = 0  # the NULs
    summed: U64 = np.add.reduceat(mixed, starts)
    summed ^= lengths.astype(np.uint64)
    return _fmix(summed, _FMIX64)


def pack_signature(values: tuple[int, ...]) -> bytes:
    """A signature as kept in a Fingerprint: little-endian uint32s, 512 bytes for NUM_PERM.

    A tuple of Python ints takes ten times the memory, and the index holds one per article.
    """
    return np.array(values, dtype="<u4").tobytes()


def signature_jaccard(a: bytes, b: bytes) -> float:
    """Estimate the shingle Jaccard of two packed signatures; 0 when either is empty."""
    if not a or len(a) != len(b):
        return 0.0
    equal = np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")
    return int(np.count_nonzero(equal)) / int(equal.size)


def lsh_threshold(near_duplicate: float) -> float:
    """The LSH threshold for a near-duplicate threshold: a little lower, within LSH's range."""
    low, high = LSH_THRESHOLD_RANGE
    return min(high, max(low, near_duplicate - LSH_SLACK))


@functools.cache
def _permutations() -> tuple[U32, U32]:
    """datasketch's permutation parameters (a, b) for our seed and scheme; drawn once.

    Drawn as datasketch 2's MinHash draws them for "affine32": odd multipliers a, then
    offsets b, from one RandomState (whose stream numpy keeps fixed across versions).
    """
    draw = np.random.RandomState(MINHASH_SEED)
    a = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix(values: _A, constants: tuple[int, int, int, int, int]) -> _A:
    """Apply a MurmurHash3 finaliser elementwise, in place; multiplication wraps, as intended.

    Returns `values`. In place, as every caller owns its array: three temporary arrays, not 8.
    """
    kind = values.dtype.type
    shift1, mult1, shift2, mult2, shift3 = map(kind, constants)
    values ^= values >> shift1
    values *= mult1
    values ^= values >> shift2
    values *= mult2
    values ^= values >> shift3
    return values
