package catalog

//go:generate go run ./gendoc ../docs/catalog.md
