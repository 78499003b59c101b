import MishCLI
MishCLI.main()
