from entrepot.cli import run

run()
