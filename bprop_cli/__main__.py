from bprop_cli.cli.entry import main

main()
