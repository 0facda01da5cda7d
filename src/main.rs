use clap::Parser;

/// The allocator of the whole program: mimalloc. glibc's malloc took a fifth to a quarter of
/// ingest CPU (profiled on 8,000 AllSides articles), and its per-thread arenas kept memory freed
/// by the commit thread out of reach of the staging thread (about 90 MB more peak RSS).
#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

/// mimalloc behind Rust's allocator interface. The `mimalloc` crate asks for every block through
/// mimalloc's aligned entry points, about 30 instructions more per allocation than the plain
/// ones (3% of extraction's instructions, profiled on 3,000 AllSides articles). Every mimalloc
/// block is aligned to 16 bytes, or to its size when smaller, the same guarantee as the system
/// allocator's, so the plain calls serve any layout whose alignment is at most that.
struct Mimalloc;

/// The alignment of every mimalloc block of at least this many bytes (`MI_MAX_ALIGN_SIZE`).
const PLAIN_ALIGN: usize = 16;

/// Whether a block of `size` bytes aligned to `align` can come from mimalloc's plain calls.
fn plain(align: usize, size: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: every block comes from mimalloc and goes back to it; `plain` keeps the plain calls
// to layouts whose alignment mimalloc gives without being asked.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_malloc, mi_malloc_aligned};
        // SAFETY: as for the impl.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};
        // SAFETY: as for the impl.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys::{mi_realloc, mi_realloc_aligned};
        // SAFETY: `ptr` came from this allocator; the new block keeps the layout's alignment.
        unsafe {
            if plain(layout.align(), new_size) {
                mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

fn main() {
    let cli = quotetrace::cli::Cli::parse();
    if matches!(cli.command, quotetrace::cli::Command::Extract(_)) {
        without_huge_pages();
    }
    let code = match quotetrace::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("quotetrace: error: {}", error_chain(&e));
            2
        }
    };
    std::process::exit(code);
}

/// Turns transparent huge pages off for this process. Extraction frees and reallocates a few
/// MB per article, and mimalloc hands freed memory back to the kernel after 10 ms: with huge
/// pages, each reuse faulted in and zeroed a whole fresh 2 MB page, 700 times over the AllSides
/// corpus (0.13-0.28 s of system CPU, 3% of the process in `perf`). With 4 KB pages the
/// kernel zeroes 15 MB in all, system CPU is 0.03 s and peak RSS halves (40 MB to 18 MB).
/// Ingest, whose time goes to the store, measured the same either way and keeps them.
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes no pointers; it sets a flag of this process.
    unsafe {
        // Failure (an old kernel) only leaves the huge pages on.
        let _ = libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// The error and its causes on one line. Library errors that already name their cause in their
/// own message (`cannot open the store at …: Permission denied`) would otherwise print it twice.
fn error_chain(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
