//! RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs.

use ring::digest::{Context, SHA256};

pub type Hash = [u8; 32];

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

pub fn leaf_hash(data: &[u8]) -> Hash {
    sha256(&[&[0], data])
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[1], left, right])
}

pub fn empty_root() -> Hash {
    sha256(&[])
}

/// The largest power of two smaller than `n` (`n` > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH over already-hashed leaves.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// Appends leaves one at a time and yields the root at every size in O(log n), so a
/// verifier can check every checkpoint in one pass over the log.
#[derive(Debug, Default, Clone)]
pub struct Frontier {
    /// Roots of perfect subtrees, largest first, with their sizes.
    nodes: Vec<(Hash, u64)>,
    size: u64,
}

impl Frontier {
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (leaf, 1u64);
        while let Some(&(last, size)) = self.nodes.last() {
            if size != node.1 {
                break;
            }
            self.nodes.pop();
            node = (node_hash(&last, &node.0), size * 2);
        }
        self.nodes.push(node);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(&(mut acc, _)) = iter.next() else {
            return empty_root();
        };
        for (h, _) in iter {
            acc = node_hash(h, &acc);
        }
        acc
    }
}

/// PATH(m, D[n]): the audit path of leaf `index`, bottom up.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n);
    if index < k {
        let mut p = inclusion_proof(&leaves[..k], index);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = inclusion_proof(&leaves[k..], index - k);
        p.push(root(&leaves[..k]));
        p
    }
}

/// PROOF(m, D[n]): shows the tree of size `old_size` is a prefix of `leaves`.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Vec<Hash> {
    fn sub(m: usize, d: &[Hash], complete: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if complete { Vec::new() } else { vec![root(d)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = sub(m, &d[..k], complete);
            p.push(root(&d[k..]));
            p
        } else {
            let mut p = sub(m - k, &d[k..], false);
            p.push(root(&d[..k]));
            p
        }
    }
    if old_size == 0 || old_size > leaves.len() {
        return Vec::new();
    }
    sub(old_size, leaves, true)
}

/// RFC 9162 §2.1.3.2.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// RFC 9162 §2.1.4.2.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some(first) = path.first().copied() else {
        return false;
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (first, first);
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *old_root && sr == *new_root && sn == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Hash {
        let v = herold_domain::audit::unhex(s).unwrap();
        v.try_into().unwrap()
    }

    /// The RFC 6962 / RFC 9162 reference leaves used across Certificate Transparency
    /// implementations.
    fn leaves() -> Vec<Hash> {
        let data: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            (0x50..0x58).collect(),
            (0x60..0x70).collect(),
        ];
        data.iter().map(|d| leaf_hash(d)).collect()
    }

    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn known_roots() {
        assert_eq!(
            herold_domain::audit::hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let l = leaves();
        let mut frontier = Frontier::default();
        for (i, expected) in ROOTS.iter().enumerate() {
            assert_eq!(root(&l[..=i]), h(expected), "root of {}", i + 1);
            frontier.push(l[i]);
            assert_eq!(frontier.root(), h(expected), "frontier root of {}", i + 1);
        }
    }

    #[test]
    fn known_proofs() {
        let l = leaves();
        assert_eq!(
            inclusion_proof(&l, 0),
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ]
        );
        assert_eq!(
            consistency_proof(&l, 6),
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
        assert_eq!(
            consistency_proof(&l[..5], 2),
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ]
        );
    }

    fn many(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn every_inclusion_proof_verifies_and_every_mutation_fails() {
        for n in 1..=40usize {
            let l = many(n);
            let r = root(&l);
            for i in 0..n {
                let p = inclusion_proof(&l, i);
                let (i64_, n64) = (i as u64, n as u64);
                assert!(verify_inclusion(i64_, n64, &l[i], &p, &r), "n={n} i={i}");
                assert!(!verify_inclusion(i64_ + 1, n64, &l[i], &p, &r), "index+1 n={n} i={i}");
                assert!(!verify_inclusion(i64_ ^ 2, n64, &l[i], &p, &r), "index^2 n={n} i={i}");
                assert!(!verify_inclusion(i64_, n64 * 2, &l[i], &p, &r), "size*2 n={n} i={i}");
                assert!(
                    n64 / 2 <= i64_ || !verify_inclusion(i64_, n64 / 2, &l[i], &p, &r),
                    "size/2 n={n} i={i}"
                );
                assert!(!verify_inclusion(i64_, n64, &leaf_hash(b"other"), &p, &r));
                let mut bad_root = r;
                bad_root[0] ^= 1;
                assert!(!verify_inclusion(i64_, n64, &l[i], &p, &bad_root));
                for j in 0..p.len() {
                    let mut flipped = p.clone();
                    flipped[j][31] ^= 0x80;
                    assert!(!verify_inclusion(i64_, n64, &l[i], &flipped, &r), "bit flip n={n} i={i} j={j}");
                    let mut shorter = p.clone();
                    shorter.remove(j);
                    assert!(!verify_inclusion(i64_, n64, &l[i], &shorter, &r));
                }
                let mut longer = p.clone();
                longer.push(r);
                assert!(!verify_inclusion(i64_, n64, &l[i], &longer, &r), "extra component n={n} i={i}");
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_every_mutation_fails() {
        let l = many(40);
        for n in 1..=40usize {
            let new_root = root(&l[..n]);
            for m in 1..=n {
                let old_root = root(&l[..m]);
                let p = consistency_proof(&l[..n], m);
                let (m64, n64) = (m as u64, n as u64);
                assert!(verify_consistency(m64, n64, &old_root, &new_root, &p), "m={m} n={n}");
                if m == n {
                    continue;
                }
                let mut bad = old_root;
                bad[5] ^= 4;
                assert!(!verify_consistency(m64, n64, &bad, &new_root, &p));
                assert!(!verify_consistency(m64, n64, &old_root, &bad, &p));
                assert!(!verify_consistency(m64 + 1, n64, &old_root, &new_root, &p), "old+1 m={m} n={n}");
                assert!(!verify_consistency(m64, n64 * 2, &old_root, &new_root, &p), "new*2 m={m} n={n}");
                for j in 0..p.len() {
                    let mut flipped = p.clone();
                    flipped[j][0] ^= 1;
                    assert!(
                        !verify_consistency(m64, n64, &old_root, &new_root, &flipped),
                        "flip m={m} n={n} j={j}"
                    );
                    let mut shorter = p.clone();
                    shorter.remove(j);
                    assert!(!verify_consistency(m64, n64, &old_root, &new_root, &shorter));
                }
                let mut longer = p.clone();
                longer.push(new_root);
                assert!(!verify_consistency(m64, n64, &old_root, &new_root, &longer));
            }
        }
    }
}
