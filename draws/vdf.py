"""Pietrzak's verifiable delay function over Z_N^* / {1, -1}, N the RSA-2048 challenge modulus.

The exact rule is docs/draw-rules.md, section 2 (pure functions here, no database).
``evaluate`` takes 2**t sequential squarings and is what makes a ballot set's winner unknowable
until well after the set is fixed; ``verify`` checks an output with 2t short exponentiations.
scripts/verify_draw.py and the in-browser verifier re-implement ``input_element``, ``verify``
and ``winner_index`` with nothing but their standard libraries; keep all three in step.

Evaluation uses GMP (gmpy2) when it is installed, else CPython's integers: the same answers,
about three times slower.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

try:  # a native library from PyPI; the pure-Python path below gives the same answers
    import gmpy2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - the lock installs it
    gmpy2 = None

RULE = "unicorn-pietrzak-rsa2048"
# RSA Laboratories' RSA-2048 challenge number (1991): its factors are unknown to anyone.
N = int(
    "25195908475657893494027183240048398571429282126204032027777137836043662020707595556264018525"
    "88078440691829064124951508218929855914917618450280848912007284499268739280728777673597141834"
    "72702618963750149718246911650776133798590957000973304597488084284017974291006424586918171951"
    "18746121515172654632282216869987549182422433637259085141865462043576798423387184774447920739"
    "93423658482382428119816381501067481045166037730605620161967625613384414360383390441495263443"
    "21901146575444541784240209246165157233507787077498171257724679629263863563732899121548314381"
    "67899885040445364023527381951378636564391212010397122822120720357"
)
ELEMENT_BYTES = 256
HALF_N = (N - 1) // 2
# Rounds of the proof answered from checkpoints kept during evaluation: 2**8 + 1 elements
# (66 KB) make the proof cost about 2**(t - 8) squarings plus a few thousand exponentiations,
# under 1 % of the evaluation at the default delay. Below 2**12 squarings the checkpoints'
# exponentiations would cost more than squaring again, so short delays keep none.
CHECKPOINT_LEVELS = 8
DIRECT_BELOW_LOG2 = 12


def normalize(value: int) -> int:
    """The representative of ``value``'s class in Z_N^* / {1, -1}: min(v, N - v)."""
    value %= N
    return min(value, N - value)


def is_canonical(value: int) -> bool:
    return 1 <= value <= HALF_N


def encode(value: int) -> bytes:
    return value.to_bytes(ELEMENT_BYTES, "big")


def element_hex(value: int) -> str:
    return encode(value).hex()


def statement(*, lottery_date: date, count: int, root: str, delay_log2: int) -> str:
    """What the delay function is evaluated on: the day, its ballot count and Merkle root."""
    return f"{RULE}|{lottery_date.isoformat()}|{count}|{root}|{delay_log2}"


def input_element(text: str) -> int:
    """Hash ``text`` into the group: nine SHA-256 blocks (2,304 bits) reduced mod N."""
    message = b"lottery-vdf-input|" + text.encode()
    blocks = b"".join(hashlib.sha256(bytes([i]) + message).digest() for i in range(9))
    return normalize(int.from_bytes(blocks, "big"))


def challenge(x: int, y: int, mu: int, half: int) -> int:
    """The Fiat-Shamir challenge of one halving round: 128 bits of SHA-256."""
    digest = hashlib.sha256(
        b"lottery-vdf-challenge|" + encode(x) + encode(y) + encode(mu) + half.to_bytes(8, "big")
    ).digest()
    return int.from_bytes(digest[:16], "big")


def winner_index(*, output: int, count: int, beacon: str = "") -> int:
    """The winner's position among ``count`` ballots: SHA-256 of the output, modulo count."""
    message = b"lottery-winner|" + encode(output)
    if beacon:
        message += b"|" + beacon.encode()
    return int.from_bytes(hashlib.sha256(message).digest(), "big") % count


# A pessimistic cost of one squaring with its share of the proof, twice what a loaded 2-core
# machine measured (docs/scaling.md, "Costs the code relies on"); what health allows a
# draw's delay to take.
SECONDS_PER_SQUARING_BOUND = 8e-6 if gmpy2 is not None else 30e-6


def seconds_bound(delay_log2: int | None) -> float:
    """How long evaluating a delay of 2**delay_log2 squarings may take here, at most."""
    return 0.0 if delay_log2 is None else (1 << delay_log2) * SECONDS_PER_SQUARING_BOUND


@dataclass(frozen=True)
class Evaluation:
    output: int
    proof: list[int]


def evaluate(
    x: int,
    delay_log2: int,
    *,
    progress: Callable[[float], None] | None = None,
    native: bool = True,
) -> Evaluation:
    """y = x^(2^(2^t)) and its proof. ``progress`` is called with the fraction done, often.

    The squarings run in segments of 2**(t - 8) (one exponentiation each, in C), whose ends
    are the checkpoints the proof is built from.
    """
    square = _square_native if native and gmpy2 is not None else _square_python
    levels = max(0, min(CHECKPOINT_LEVELS, delay_log2 - DIRECT_BELOW_LOG2))
    segment = 1 << (delay_log2 - levels)
    checkpoints = [x]
    for done in range(1, (1 << levels) + 1):
        checkpoints.append(square(checkpoints[-1], segment))
        if progress is not None:
            progress(done / (1 << levels))
    y = normalize(checkpoints[-1])
    return Evaluation(output=y, proof=_prove(x, y, delay_log2, checkpoints, levels, square))


def _prove(
    x: int,
    y: int,
    delay_log2: int,
    checkpoints: list[int],
    levels: int,
    square: Callable[[int, int], int],
) -> list[int]:
    """Pietrzak's halving proof; docs/draw-rules.md gives the rounds.

    While the round's half-delay is a multiple of the checkpoint segment, x_i is a product of
    checkpoints raised to known coefficients (products of earlier challenges), and so is
    mu_i = x_i^(2^h): round i's base points sit 2^(levels - i + 1) checkpoints apart and
    mu_i takes the ones half-way between them. Later rounds square x_i directly.
    """
    proof = []
    coefficients = [1]
    for round_no in range(1, delay_log2 + 1):
        half = 1 << (delay_log2 - round_no)
        if round_no <= levels:
            spacing = 1 << (levels - round_no)
            mu = 1
            for k, coefficient in enumerate(coefficients):
                mu = mu * pow(checkpoints[(2 * k + 1) * spacing], coefficient, N) % N
        else:
            mu = square(x, half)
        mu = normalize(mu)
        r = challenge(x, y, mu, half)
        if round_no < levels:
            # x_(i+1) = x_i^r * mu_i: each base point splits into itself (times r) and the
            # point half-way to the next (times 1).
            coefficients = [
                c for coefficient in coefficients for c in (coefficient * r, coefficient)
            ]
        x, y = normalize(pow(x, r, N) * mu), normalize(pow(mu, r, N) * y)
        proof.append(mu)
    return proof


def verify(x: int, y: int, proof: list[int], delay_log2: int) -> bool:
    """Whether ``proof`` shows y = x^(2^(2^t)); every element must be canonical."""
    if len(proof) != delay_log2 or not (is_canonical(x) and is_canonical(y)):
        return False
    for round_no, mu in enumerate(proof, start=1):
        if not is_canonical(mu):
            return False
        r = challenge(x, y, mu, 1 << (delay_log2 - round_no))
        x, y = normalize(pow(x, r, N) * mu), normalize(pow(mu, r, N) * y)
    return y == normalize(x * x)


def _square_python(value: int, times: int) -> int:
    return pow(value, 1 << times, N)


def _square_native(value: int, times: int) -> int:
    return int(gmpy2.powmod(value, gmpy2.mpz(1) << times, N))
