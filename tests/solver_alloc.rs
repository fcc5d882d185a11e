//! The sparse solver allocates all of its buffers before its first iteration: the number of
//! heap allocations a fit makes does not grow with the iterations it runs. (A test binary of its
//! own, because it counts through the global allocator.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use slant::solver::{minimise, Objective, Stop};
use slant::tfidf::{ContextConfig, SparseRows, SparseVec};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn allocations_do_not_grow_with_iterations() {
    // 400 rows of about 60 of 300 features, 3 classes, a weak penalty: slow to converge.
    let (n, v, k) = (400usize, 300usize, 3usize);
    let rows: Vec<SparseVec> = (0..n as u32)
        .map(|i| {
            let indices: Vec<u32> = (0..v as u32)
                .filter(|f| (f * 7 + i * 13) % 5 == 0)
                .collect();
            let values = indices
                .iter()
                .map(|f| ((f * 31 + i * 17) % 97) as f64 / 97.0 - 0.4)
                .collect();
            SparseVec { indices, values }
        })
        .collect();
    let y: Vec<usize> = (0..n).map(|i| (i * i + i / 7) % k).collect();
    let rows: SparseRows = rows.iter().collect();
    let plain = Objective::new(rows.clone(), v, &y, k, vec![1.0; n], 1e-3);
    // With context: articles of 8 paragraphs, neighbours ±2 and the whole article.
    let context = ContextConfig {
        window: 2,
        neighbour_weight: 0.5,
        article_weight: 0.2,
    };
    let article: Vec<usize> = (0..n).map(|i| i / 8).collect();
    let mixed = Objective::new(rows, v, &y, k, vec![1.0; n], 1e-3)
        .with_mixing(context.mixing(&article).unwrap());
    // Two threads, so rayon's parallel work is counted too.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for (name, objective) in [("plain", plain), ("with context", mixed)] {
        let count = |cap: u64| {
            pool.install(|| {
                let before = ALLOCATIONS.load(Ordering::SeqCst);
                let m = minimise(&objective, cap, 1e-12).unwrap();
                let made = ALLOCATIONS.load(Ordering::SeqCst) - before;
                assert_eq!((m.iterations, m.stop), (cap, Stop::IterationCap));
                made
            })
        };
        count(1); // rayon's first use of the pool may set things up
        let (short, long) = (count(5), count(60));
        assert!(short > 0, "{name}: the count works: buffers are allocated");
        assert_eq!(
            short, long,
            "{name}: 5 iterations: {short} allocations, 60: {long}"
        );
    }
}
