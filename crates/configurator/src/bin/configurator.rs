fn main() {
    let args: Vec<String> = std::env::args().collect();
    let src = std::fs::read_to_string(&args[1]).unwrap();
    let t = std::time::Instant::now();
    let mut p = configurator::import_csp(&src).unwrap();
    if let Some(pr) = args.get(2) { configurator::import_prices(&mut p, &std::fs::read_to_string(pr).unwrap()).unwrap(); }
    let t1 = t.elapsed();
    let c = configurator::Compiled::new(p);
    println!("import {:?} compile {:?} {:?}", t1, t.elapsed(), c.stats());
    println!("count {}", c.count());
    let choices = vec![None; c.problem().vars.len()];
    let t = std::time::Instant::now();
    for _ in 0..100 { std::hint::black_box(c.propagate(&choices)); }
    println!("prop {:?}", t.elapsed()/100);
}
