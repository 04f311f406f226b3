"""RFC 6962 Merkle tree hashing with inclusion and consistency proofs (RFC 6962 §2.1, RFC 9162 §2.1).

Leaves are hashed ``SHA-256(0x00 || data)``, interior nodes ``SHA-256(0x01 || left || right)``,
and the tree over n leaves splits at the largest power of two below n, so the root of
the first n leaves never changes when leaves are appended: that is what makes a
checkpoint (size, root) checkable against a longer log later. Functions take leaf
*hashes*; proofs are lists of 32-byte hashes, ordered from the leaf up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The roots of the perfect subtrees covering the leaves appended so far.

    Appending is O(1) amortised and :meth:`root` is O(log n), so the root at every
    size of a streamed log is known without keeping the leaves.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []  # left to right, each subtree smaller than the one before

    def append(self, leaf: bytes) -> None:
        """Add the hash of the next leaf."""
        self._stack.append(leaf)
        self.size += 1
        # Each trailing zero bit of the new size is a pair of equal subtrees to merge.
        size = self.size
        while size % 2 == 0:
            right = self._stack.pop()
            self._stack[-1] = node_hash(self._stack[-1], right)
            size //= 2

    def root(self) -> bytes:
        """The tree head over the leaves appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1]
        for subtree in reversed(self._stack[:-1]):
            result = node_hash(subtree, result)
        return result


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH: the tree head over ``leaves``."""
    compact = CompactRange()
    for leaf in leaves:
        compact.append(leaf)
    return compact.root()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, leaves): the audit path proving leaf ``index`` is in the tree over ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    proof: list[bytes] = []
    start, end = 0, len(leaves)
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            proof.append(root(leaves[start + k:end]))
            end = start + k
        else:
            proof.append(root(leaves[start:start + k]))
            start += k
    return proof[::-1]  # found from the top down; the path reads from the leaf up


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, leaves): proves the tree of the first ``old_size`` leaves is a prefix of this one."""
    if not 0 <= old_size <= len(leaves):
        raise ValueError(f"size {old_size} is not a prefix of a tree of {len(leaves)}")
    if old_size in (0, len(leaves)):
        return []
    proof: list[bytes] = []
    start, end, m, whole = 0, len(leaves), old_size, True
    # SUBPROOF(m, D[start:end], whole), unrolled from the top down.
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(root(leaves[start + k:end]))
            end = start + k
        else:
            proof.append(root(leaves[start:start + k]))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append(root(leaves[start:end]))
    return proof[::-1]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` in the tree of ``size`` with ``expected_root``."""
    if not 0 <= index < size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == expected_root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """True when ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and first == old_root and second == new_root
