"""RFC 6962 Merkle tree: the reference roots and proofs, and properties over every small tree."""

from __future__ import annotations

import hashlib

import pytest

from bot import merkle

# The test vectors of the RFC 6962 reference implementation (certificate-transparency).
REFERENCE_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
REFERENCE_ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
REFERENCE_INCLUSION = [
    (0, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
         "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
         "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
         "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
REFERENCE_CONSISTENCY = [
    (2, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
         "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
         "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
LEAVES = [merkle.leaf_hash(data) for data in REFERENCE_LEAVES]
MANY = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(40)]


def recursive_root(leaves: list[bytes]) -> bytes:
    """MTH written exactly as RFC 6962 §2.1 defines it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(recursive_root(leaves[:k]), recursive_root(leaves[k:]))


def test_roots_match_the_reference_implementation():
    for size, expected in enumerate(REFERENCE_ROOTS):
        assert merkle.root(LEAVES[:size]) == expected, size


def test_inclusion_proofs_match_the_reference_implementation():
    for index, expected in REFERENCE_INCLUSION:
        proof = merkle.inclusion_proof(LEAVES, index)
        assert [node.hex() for node in proof] == expected
        assert merkle.verify_inclusion(LEAVES[index], index, 8, proof, REFERENCE_ROOTS[8])


def test_consistency_proofs_match_the_reference_implementation():
    for old_size, expected in REFERENCE_CONSISTENCY:
        proof = merkle.consistency_proof(LEAVES, old_size)
        assert [node.hex() for node in proof] == expected
        assert merkle.verify_consistency(old_size, 8, REFERENCE_ROOTS[old_size], REFERENCE_ROOTS[8], proof)


def test_compact_range_gives_the_recursive_root_at_every_size():
    compact = merkle.CompactRange()
    assert compact.root() == recursive_root([])
    for size, leaf in enumerate(MANY, start=1):
        compact.append(leaf)
        assert compact.root() == recursive_root(MANY[:size]), size


def test_every_inclusion_proof_verifies_and_no_other_leaf_or_index_does():
    for size in range(1, len(MANY) + 1):
        tree_root = merkle.root(MANY[:size])
        for index in range(size):
            proof = merkle.inclusion_proof(MANY[:size], index)
            assert merkle.verify_inclusion(MANY[index], index, size, proof, tree_root)
            other = (index + 1) % size
            if other != index:
                assert not merkle.verify_inclusion(MANY[other], index, size, proof, tree_root)
                assert not merkle.verify_inclusion(MANY[index], other, size, proof, tree_root)
            assert not merkle.verify_inclusion(MANY[index], index, size, proof, merkle.root(MANY[:size] + [bytes(32)]))
            assert not merkle.verify_inclusion(MANY[index], index, size, proof + [MANY[0]], tree_root)
            if proof:
                assert not merkle.verify_inclusion(MANY[index], index, size, proof[:-1], tree_root)
                bent = [bytes([proof[0][0] ^ 1]) + proof[0][1:]] + proof[1:]
                assert not merkle.verify_inclusion(MANY[index], index, size, bent, tree_root)


def test_every_consistency_proof_verifies_and_a_changed_prefix_never_does():
    roots = [merkle.root(MANY[:size]) for size in range(len(MANY) + 1)]
    for new_size in range(len(MANY) + 1):
        for old_size in range(new_size + 1):
            proof = merkle.consistency_proof(MANY[:new_size], old_size)
            assert merkle.verify_consistency(old_size, new_size, roots[old_size], roots[new_size], proof)
            if 0 < old_size < new_size:
                # A rewritten old leaf, a wrong old size, a cut proof: all refused.
                changed = [MANY[-1]] + MANY[1:old_size]
                assert not merkle.verify_consistency(
                    old_size, new_size, merkle.root(changed), roots[new_size], proof)
                assert not merkle.verify_consistency(old_size, new_size, roots[old_size], roots[new_size], proof[:-1])
                assert not merkle.verify_consistency(
                    old_size, new_size, roots[old_size], roots[new_size], proof + [MANY[0]])
                if old_size + 1 < new_size:
                    assert not merkle.verify_consistency(
                        old_size + 1, new_size, roots[old_size], roots[new_size], proof)


def test_a_smaller_new_tree_is_never_consistent():
    assert not merkle.verify_consistency(5, 4, merkle.root(MANY[:5]), merkle.root(MANY[:4]), [])
    assert merkle.verify_consistency(0, 4, merkle.EMPTY_ROOT, merkle.root(MANY[:4]), [])
    assert not merkle.verify_consistency(0, 4, MANY[0], merkle.root(MANY[:4]), [])


def test_proofs_of_leaves_outside_the_tree_are_refused():
    with pytest.raises(ValueError):
        merkle.inclusion_proof(MANY[:3], 3)
    with pytest.raises(ValueError):
        merkle.consistency_proof(MANY[:3], 4)
