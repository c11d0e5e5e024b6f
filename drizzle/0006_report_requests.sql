CREATE TABLE "report_request_units" (
	"request_id" integer NOT NULL,
	"unit_id" integer NOT NULL,
	CONSTRAINT "report_request_units_request_id_unit_id_pk" PRIMARY KEY("request_id","unit_id")
);
--> statement-breakpoint
CREATE TABLE "report_requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"template_id" text NOT NULL,
	"period_id" integer NOT NULL,
	"title" text NOT NULL,
	"note" text,
	"root_unit_id" integer NOT NULL,
	"roles" jsonb NOT NULL,
	"deadline" date NOT NULL,
	"base_form_id" text,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "report_templates" ADD COLUMN "kind" text DEFAULT 'periodic' NOT NULL;--> statement-breakpoint
ALTER TABLE "report_request_units" ADD CONSTRAINT "report_request_units_request_id_report_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."report_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_request_units" ADD CONSTRAINT "report_request_units_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_requests" ADD CONSTRAINT "report_requests_template_id_report_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."report_templates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_requests" ADD CONSTRAINT "report_requests_period_id_periods_id_fk" FOREIGN KEY ("period_id") REFERENCES "public"."periods"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_requests" ADD CONSTRAINT "report_requests_root_unit_id_units_id_fk" FOREIGN KEY ("root_unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_requests" ADD CONSTRAINT "report_requests_created_by_officers_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_request_units_unit_idx" ON "report_request_units" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "report_requests_root_idx" ON "report_requests" USING btree ("root_unit_id");