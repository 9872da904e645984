from mailwarden.cli.main import main

if __name__ == "__main__":  # parser worker processes import this module too; they must not run the CLI
    main()
