from torchlings.cli.commands import main

main()
