"""``python -m report_simulators {django,fireant} --port N``: options from the environment."""

import argparse

import uvicorn

from local_services.network import LOOPBACK
from report_simulators.django_api import DjangoSimulator, DjangoSimulatorOptions
from report_simulators.fireant_api import FireantSimulator, FireantSimulatorOptions


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m report_simulators")
    parser.add_argument("kind", choices=["django", "fireant"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.kind == "django":
        app = DjangoSimulator(DjangoSimulatorOptions.from_env()).app
    else:
        app = FireantSimulator(FireantSimulatorOptions.from_env()).app
    uvicorn.run(app, host=LOOPBACK, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
