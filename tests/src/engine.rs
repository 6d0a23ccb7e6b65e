//! The aggregator's database engines: whole-system tests run once on each
//! ([`crate::test_on_both_engines`]), and benchmarks take them by name (`--engine sqlite` or
//! `--engine postgres`, both when none is given), so one body runs on each.

use std::fmt;

/// A database engine the aggregator runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Its own SQLite file in the test's directory.
    Sqlite,
    /// A fresh database of its own on the test process's throwaway PostgreSQL.
    Postgres,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::Sqlite, Engine::Postgres];

    /// The engines `--engine NAME` options in `args` ask for, in that order; every engine when
    /// there is none.
    pub fn from_args(args: &[String]) -> anyhow::Result<Vec<Engine>> {
        let mut engines = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg != "--engine" {
                continue;
            }
            let name = rest
                .next()
                .ok_or_else(|| anyhow::anyhow!("--engine needs a name: sqlite or postgres"))?;
            let engine = match name.as_str() {
                "sqlite" => Engine::Sqlite,
                "postgres" => Engine::Postgres,
                other => anyhow::bail!("unknown --engine {other:?}: use sqlite or postgres"),
            };
            if !engines.contains(&engine) {
                engines.push(engine);
            }
        }
        if engines.is_empty() {
            engines.extend(Engine::ALL);
        }
        Ok(engines)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Engine;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn engines_are_read_from_the_arguments() {
        assert_eq!(
            Engine::from_args(&args("bench --bench")).expect("none"),
            Engine::ALL
        );
        assert_eq!(
            Engine::from_args(&args("bench --engine postgres --kiosks 5")).expect("one"),
            [Engine::Postgres]
        );
        assert!(Engine::from_args(&args("bench --engine oracle")).is_err());
        assert!(Engine::from_args(&args("bench --engine")).is_err());
    }
}
