//! `uniffi-bindgen generate --library target/debug/libtijdreg_ffi.so --language python …`
fn main() {
    uniffi::uniffi_bindgen_main()
}
