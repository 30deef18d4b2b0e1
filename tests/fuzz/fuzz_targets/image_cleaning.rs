//! Hostile uploads: whatever bytes come in, cleaning either refuses them or returns an
//! image that cleans to itself (nothing it would remove is left behind) and never panics.
#![no_main]

use herold_publishing::media::clean;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = clean(data) {
        let again = clean(&image.bytes).expect("a cleaned image is still an image");
        assert_eq!(again.bytes, image.bytes, "cleaning is idempotent");
        assert_eq!((again.width, again.height), (image.width, image.height));
    }
});
