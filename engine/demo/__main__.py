"""Rewrite the bundled demo months: python -m engine.demo [--dataset aftersales|4s]."""

import argparse

from engine.demo.aftersales import generate_demo
from engine.demo.dealer_4s import generate_demo_4s

parser = argparse.ArgumentParser(prog="python -m engine.demo", description=__doc__)
parser.add_argument("--dataset", choices=["aftersales", "4s"], default="aftersales")
arguments = parser.parse_args()
for written_path in (generate_demo_4s if arguments.dataset == "4s" else generate_demo)():
    print(written_path)
