"""Near-duplicate signatures: MinHash over text shingles, and the LSH threshold to find them.

Owns how a folded text becomes a signature (level 2 of aggregator.dedup): shingles are
SHINGLE_SIZE consecutive units, a unit being one CJK character or one word, so CJK text gets
character 3-grams and Latin text word 3-grams. Pure: no I/O.

Why datasketch: a maintained MinHash/LSH with a seeded, stable hash (sha1), so signatures
stored today still compare with tomorrow's; the permutation scheme is pinned
(MINHASH_SCHEME) because datasketch 2 changed its default and refuses to mix schemes.
"""

from __future__ import annotations

from typing import Final

from datasketch import LeanMinHash, MinHash

NUM_PERM: Final = 128
MINHASH_SEED: Final = 1
MINHASH_SCHEME: Final = "affine32"
SHINGLE_SIZE: Final = 3
MIN_TEXT_UNITS: Final = 20  # shorter texts (stubs, "read more") get no signature
# LSH looks for candidates a little below the threshold, so borderline pairs are not missed;
# datasketch needs at least two bands, which caps the LSH threshold.
LSH_SLACK: Final = 0.1
LSH_THRESHOLD_RANGE: Final = (0.05, 0.95)


def minhash_signature(units: list[str]) -> tuple[int, ...]:
    """MinHash the shingles of `units` (see textfold.shingle_units); () if too short."""
    if len(units) < max(MIN_TEXT_UNITS, SHINGLE_SIZE):
        return ()
    shingles = {" ".join(units[i : i + SHINGLE_SIZE]) for i in range(len(units) - SHINGLE_SIZE + 1)}
    minhash = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
    minhash.update_batch([s.encode() for s in sorted(shingles)])
    return tuple(int(v) for v in minhash.hashvalues)


def signature_jaccard(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimate the shingle Jaccard of two signatures; 0 when either is empty."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def lean_minhash(signature: tuple[int, ...]) -> LeanMinHash:
    """Wrap a stored signature for datasketch's LSH."""
    return LeanMinHash(seed=MINHASH_SEED, hashvalues=signature, scheme=MINHASH_SCHEME)


def lsh_threshold(near_duplicate: float) -> float:
    """The LSH threshold for a near-duplicate threshold: a little lower, within LSH's range."""
    low, high = LSH_THRESHOLD_RANGE
    return min(high, max(low, near_duplicate - LSH_SLACK))
