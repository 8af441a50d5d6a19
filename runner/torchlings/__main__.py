from torchlings.cli import main

main()
