"""Every benchmark of cnnviz, each reached from `cnnviz bench <what>` (see cnnviz.cli).

Each module measures one thing; the command's registry (cnnviz.cli.bench_command) names them.
Nothing is imported here: several benchmarks import TensorFlow, which `cnnviz --help` must not.
"""
