//! Hostile checkpoints and notes (they arrive from files and other servers' copies).
#![no_main]

use herold_compliance::note::{open, Checkpoint, Verifier};
use libfuzzer_sys::fuzz_target;

const VKEY: &str = "herold.example/audit+4f2c5f0c+AbDuwrpx+UPZ/JErPmQsqE9pJNmcyGvH0Z5+oFAmfeM/";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Checkpoint::parse(&text);
    let _ = Verifier::parse(&text);
    if let Ok(v) = Verifier::parse(VKEY) {
        let _ = open(&text, &[v]);
    }
});
