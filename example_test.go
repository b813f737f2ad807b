package forge_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/shopspring/decimal"

	"github.com/forgedb/forge"
	"github.com/forgedb/forge/analytics"
)

// Example opens the database named by DATABASE_URL, applies pending migrations, and runs
// each domain operation once. The README's embedding section shows this code, and
// TestReadmeMatchesExample keeps the two in step.
func Example() {
	defer useExampleDatabase()()

	ctx := context.Background()
	db, err := forge.Open(ctx, forge.Config{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		Migrate:     true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ada, err := db.CreateUser(ctx, forge.NewUser{
		Name:     "Ada Lovelace",
		Email:    " Ada@Example.com ",
		Password: "correct horse battery staple",
	})
	if err != nil {
		log.Fatal(err)
	}
	mug, err := db.Client.Product.Create().
		SetName("Mug").
		SetPrice(decimal.RequireFromString("9.95")).
		Save(ctx)
	if err != nil {
		log.Fatal(err)
	}

	order, err := db.PlaceOrder(ctx, ada.ID, []forge.OrderLine{{ProductID: mug.ID, Quantity: 3}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("order total:", forge.OrderTotal(order.Edges.Items))

	token, err := db.IssueToken(ctx, ada.ID, 24*time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	user, err := db.VerifyToken(ctx, token.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token belongs to:", user.Email)

	report, err := analytics.CustomerMetrics(ctx, db.Pool, analytics.CustomerParams{Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range report {
		fmt.Println(row.Name, row.TotalOrders, row.LifetimeValue.StringFixed(2), row.Tier)
	}
	// Output:
	// order total: 29.85
	// token belongs to: ada@example.com
	// Ada Lovelace 1 29.85 New
}

func ExampleOpen() {
	defer useExampleDatabase()()

	ctx := context.Background()
	db, err := forge.Open(ctx, forge.Config{
		DatabaseURL:      os.Getenv("DATABASE_URL"),
		MaxConns:         8,
		StatementTimeout: 10 * time.Second,
		ApplicationName:  "orders-api",
		Migrate:          true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := db.Ping(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("max connections:", db.Stats().MaxConns())
	// Output:
	// max connections: 8
}

func ExampleDB_CreateUser() {
	db, done := exampleDB()
	defer done()
	ctx := context.Background()

	u, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "  ADA@example.com", Password: "correct horse"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, u.Email)

	_, err = db.CreateUser(ctx, forge.NewUser{Name: "Ada again", Email: "ada@example.com", Password: "x"})
	fmt.Println(err)

	signedIn, err := db.Authenticate(ctx, "ada@example.com", "correct horse")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in:", signedIn.Name)
	// Output:
	// 1 ada@example.com
	// create user "ada@example.com": email is already in use; sign in instead, or delete the other user first
	// signed in: Ada
}

func ExampleDB_PlaceOrder() {
	db, done := exampleDB()
	defer done()
	ctx := context.Background()
	ada, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ada@example.com", Password: "pw"})
	if err != nil {
		log.Fatal(err)
	}
	mug := db.Client.Product.Create().SetName("Mug").SetPrice(decimal.RequireFromString("9.95")).SaveX(ctx)
	pen := db.Client.Product.Create().SetName("Pen").SetPrice(decimal.RequireFromString("0.10")).SaveX(ctx)

	order, err := db.PlaceOrder(ctx, ada.ID, []forge.OrderLine{
		{ProductID: mug.ID, Quantity: 2},
		{ProductID: pen.ID, Quantity: 3},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, item := range order.Edges.Items {
		fmt.Println(item.ProductID, item.Quantity, item.UnitPrice.StringFixed(2))
	}
	fmt.Println("total:", forge.OrderTotal(order.Edges.Items).StringFixed(2))

	_, err = db.PlaceOrder(ctx, ada.ID, []forge.OrderLine{{ProductID: mug.ID, Quantity: 0}})
	fmt.Println(err)
	// Output:
	// 1 2 9.95
	// 2 3 0.10
	// total: 20.20
	// place order for user 1: invalid quantity: line 1 (product 1) has quantity 0; use 1 or more
}

func ExampleDB_IssueToken() {
	db, done := exampleDB()
	defer done()
	ctx := context.Background()
	ada, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ada@example.com", Password: "pw"})
	if err != nil {
		log.Fatal(err)
	}

	// Give token.Token to the client once: only its SHA-256 hash is stored.
	token, err := db.IssueToken(ctx, ada.ID, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token length:", len(token.Token))

	user, err := db.VerifyToken(ctx, token.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", user.Email)

	if err := db.RevokeToken(ctx, token.Token); err != nil {
		log.Fatal(err)
	}
	_, err = db.VerifyToken(ctx, token.Token)
	fmt.Println(err)
	// Output:
	// token length: 43
	// verified: ada@example.com
	// invalid auth token
}

func ExampleDB_DeleteUser() {
	db, done := exampleDB()
	defer done()
	ctx := context.Background()
	ada, err := db.CreateUser(ctx, forge.NewUser{Name: "Ada", Email: "ada@example.com", Password: "pw"})
	if err != nil {
		log.Fatal(err)
	}

	if err := db.DeleteUser(ctx, ada.ID); err != nil {
		log.Fatal(err)
	}
	active, _ := db.Client.User.Query().Count(ctx)
	all, _ := db.Client.User.Query().Count(forge.IncludeDeleted(ctx))
	fmt.Println("active:", active, "with deleted:", all)
	// Output:
	// active: 0 with deleted: 1
}

func Example_customerReport() {
	db, done := exampleDB()
	defer done()
	ctx := context.Background()
	mug := db.Client.Product.Create().SetName("Mug").SetPrice(decimal.RequireFromString("250.00")).SaveX(ctx)
	for i, quantity := range []int32{1, 5} {
		u, err := db.CreateUser(ctx, forge.NewUser{
			Name: fmt.Sprintf("Customer %d", i+1), Email: fmt.Sprintf("c%d@example.com", i+1), Password: "pw",
		})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := db.PlaceOrder(ctx, u.ID, []forge.OrderLine{{ProductID: mug.ID, Quantity: quantity}}); err != nil {
			log.Fatal(err)
		}
	}

	report, err := analytics.CustomerMetrics(ctx, db.Pool, analytics.CustomerParams{Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range report {
		fmt.Println(row.Name, row.TotalOrders, row.LifetimeValue.StringFixed(2), row.Tier)
	}
	// Output:
	// Customer 2 1 1250.00 VIP
	// Customer 1 1 250.00 Regular
}
