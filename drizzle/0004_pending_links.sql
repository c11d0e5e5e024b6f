CREATE TABLE "pending_links" (
	"id" serial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"external_id" text NOT NULL,
	"chat_id" text NOT NULL,
	"officer_id" integer,
	"phone" text NOT NULL,
	"display_name" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" integer,
	"decision" text
);
--> statement-breakpoint
ALTER TABLE "pending_links" ADD CONSTRAINT "pending_links_officer_id_officers_id_fk" FOREIGN KEY ("officer_id") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_links" ADD CONSTRAINT "pending_links_decided_by_officers_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pending_links_open_uq" ON "pending_links" USING btree ("channel","external_id") WHERE "pending_links"."decided_at" is null;--> statement-breakpoint
CREATE INDEX "pending_links_officer_idx" ON "pending_links" USING btree ("officer_id") WHERE "pending_links"."decided_at" is null;