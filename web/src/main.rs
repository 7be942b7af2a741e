//! The web app's entry point: in the browser it mounts the app; natively it does nothing (the
//! crate's pure modules are tested natively with `cargo test -p oi-web`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    oi_web::ui::start();
}
