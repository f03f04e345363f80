CREATE TABLE "data_keys" (
	"owner_id" text NOT NULL,
	"wrapped" text NOT NULL,
	"created_at" bigint NOT NULL,
	"wrapped_at" bigint NOT NULL,
	CONSTRAINT "data_keys_pkey" PRIMARY KEY ("owner_id")
);
