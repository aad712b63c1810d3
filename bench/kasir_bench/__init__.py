"""`make bench`: what kasir costs per request next to the cheapest request the same server answers.

Starts kasir as a real server (`kasir serve`, the production command) with DUITKU_ENV=fake, so
the in-memory gateway stands in for Duitku and the network is not measured, and loads it with
wrk on loopback. The modules, one job each:

  constants   where things are, the scenarios' baselines and the goals
  console     timestamped progress lines and the printed report
  processes   every process the bench starts, stopped at exit (also on Ctrl-C)
  procfs      CPU and memory of process trees and of the machine, from /proc
  server      the server under test (`kasir serve`) and its memory sampler
  databases   SQLite files and PostgreSQL databases made, read and dropped for a suite
  scenarios   orders, QRIS attempts and signed callbacks made through the running server
  load        one wrk run and the figure it yields
  profiling   py-spy profiles of the server during a run (--profile)
  suites      what every suite shares: preparing a database, warming up, ratios, medians
  full_suite, server_suite, scale_suite, memory   the suites and the memory verdict
  purge       the personal-data purge on the scale suites' year of history (purge_probe runs
              kasir's purge in a process of its own, timing each transaction)
  goals       the goals and whether a run met them
  report      the machine, the Markdown report
  charts      the SVG charts in docs/benchmarks/ (drawn by svg)
  seed        bulk history for the scale suites
  serve       `kasir serve` with another uvicorn loop or HTTP parser
  cli         the command line (`python bench/run.py`, `make bench BENCH_ARGS=...`)
"""
