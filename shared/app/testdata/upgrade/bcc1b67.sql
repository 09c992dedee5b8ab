--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.codes (
    group_id text NOT NULL,
    phone_number text NOT NULL,
    scene text NOT NULL,
    hash bytea NOT NULL,
    message_id text NOT NULL,
    attempts integer NOT NULL,
    used boolean NOT NULL,
    issued_at timestamp(3) with time zone NOT NULL,
    expires_at timestamp(3) with time zone NOT NULL,
    sealed bytea DEFAULT '\x'::bytea NOT NULL,
    escalate_at timestamp(3) with time zone,
    escalate_to text DEFAULT ''::text NOT NULL,
    escalated boolean DEFAULT false NOT NULL,
    prev_hash bytea DEFAULT '\x'::bytea NOT NULL,
    prev_message_id text DEFAULT ''::text NOT NULL,
    prev_attempts integer DEFAULT 0 NOT NULL,
    prev_used boolean DEFAULT false NOT NULL,
    prev_issued_at timestamp(3) with time zone,
    prev_expires_at timestamp(3) with time zone
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    id text NOT NULL,
    group_id text NOT NULL,
    message_id text NOT NULL,
    type text NOT NULL,
    channel text NOT NULL,
    recipient text NOT NULL,
    status text NOT NULL,
    code text NOT NULL,
    text text NOT NULL,
    out_id text NOT NULL,
    provider text NOT NULL,
    provider_id text NOT NULL,
    sign_name text NOT NULL,
    station_id text DEFAULT ''::text NOT NULL,
    task_id bigint DEFAULT 0 NOT NULL,
    happened_at timestamp(3) with time zone NOT NULL,
    state text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_at timestamp(3) with time zone NOT NULL,
    last_status integer DEFAULT 0 NOT NULL,
    last_error text DEFAULT ''::text NOT NULL,
    done_at timestamp(3) with time zone,
    CONSTRAINT events_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'delivered'::text, 'dead'::text])))
);


--
-- Name: idempotency; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idempotency (
    group_id text NOT NULL,
    key text NOT NULL,
    hash text NOT NULL,
    status integer NOT NULL,
    reply bytea NOT NULL,
    created_at timestamp(3) with time zone NOT NULL,
    expires_at timestamp(3) with time zone NOT NULL,
    lease_until timestamp(3) with time zone NOT NULL
);


--
-- Name: messages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.messages (
    id text NOT NULL,
    group_id text NOT NULL,
    channel text NOT NULL,
    recipients jsonb NOT NULL,
    sign_name text NOT NULL,
    template text NOT NULL,
    params text NOT NULL,
    out_id text NOT NULL,
    provider text NOT NULL,
    status text NOT NULL,
    provider_id text NOT NULL,
    request_id text NOT NULL,
    error_code text NOT NULL,
    error_text text NOT NULL,
    sandbox boolean NOT NULL,
    created_at timestamp(3) with time zone NOT NULL,
    updated_at timestamp(3) with time zone NOT NULL,
    queue_key text DEFAULT ''::text NOT NULL,
    webhook boolean DEFAULT false NOT NULL,
    checked_at timestamp(3) with time zone
);


--
-- Name: quotas; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.quotas (
    key text NOT NULL,
    window_start timestamp(3) with time zone NOT NULL,
    uses integer NOT NULL,
    expires_at timestamp(3) with time zone NOT NULL,
    CONSTRAINT quotas_uses_check CHECK ((uses >= 0))
);


--
-- Name: replies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.replies (
    id bigint NOT NULL,
    provider text NOT NULL,
    sequence_id text NOT NULL,
    recipient text NOT NULL,
    content text NOT NULL,
    dest_code text NOT NULL,
    sign_name text NOT NULL,
    sent_at timestamp(3) with time zone,
    received_at timestamp(3) with time zone NOT NULL,
    raw bytea NOT NULL
);


--
-- Name: replies_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.replies ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.replies_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: reports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reports (
    id bigint NOT NULL,
    message_id text NOT NULL,
    provider text NOT NULL,
    channel text NOT NULL,
    provider_id text NOT NULL,
    recipient text NOT NULL,
    status text NOT NULL,
    code text NOT NULL,
    text text NOT NULL,
    out_id text NOT NULL,
    reported_at timestamp(3) with time zone,
    received_at timestamp(3) with time zone NOT NULL,
    raw bytea NOT NULL
);


--
-- Name: reports_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.reports ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reports_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: saas_balances; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.saas_balances (
    group_id text NOT NULL,
    station_id text NOT NULL,
    units bigint NOT NULL,
    recharged_units bigint NOT NULL,
    recharged_fen bigint NOT NULL,
    CONSTRAINT saas_balances_recharged_fen_check CHECK ((recharged_fen >= 0)),
    CONSTRAINT saas_balances_recharged_units_check CHECK ((recharged_units >= 0)),
    CONSTRAINT saas_balances_units_check CHECK ((units >= 0))
);


--
-- Name: saas_ledger; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.saas_ledger (
    id bigint NOT NULL,
    group_id text NOT NULL,
    station_id text NOT NULL,
    kind text NOT NULL,
    units bigint NOT NULL,
    money_fen bigint DEFAULT 0 NOT NULL,
    message_id text DEFAULT ''::text NOT NULL,
    task_id bigint DEFAULT 0 NOT NULL,
    combo_id bigint DEFAULT 0 NOT NULL,
    combo_name text DEFAULT ''::text NOT NULL,
    unit_price text DEFAULT ''::text NOT NULL,
    operator_name text DEFAULT ''::text NOT NULL,
    deal_code text DEFAULT ''::text NOT NULL,
    remark text DEFAULT ''::text NOT NULL,
    created_at timestamp(3) with time zone NOT NULL,
    CONSTRAINT saas_ledger_check CHECK (((kind = 'spend'::text) = (units < 0))),
    CONSTRAINT saas_ledger_kind_check CHECK ((kind = ANY (ARRAY['recharge'::text, 'spend'::text, 'refund'::text]))),
    CONSTRAINT saas_ledger_money_fen_check CHECK ((money_fen >= 0))
);


--
-- Name: saas_ledger_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.saas_ledger ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.saas_ledger_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: saas_tasks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.saas_tasks (
    id bigint NOT NULL,
    group_id text NOT NULL,
    station_id text NOT NULL,
    restaurant_id bigint,
    receive_name text,
    receive_phone text NOT NULL,
    content text NOT NULL,
    business_type integer NOT NULL,
    message_id text DEFAULT ''::text NOT NULL,
    created_at timestamp(3) with time zone NOT NULL,
    started_at timestamp(3) with time zone
);


--
-- Name: saas_tasks_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.saas_tasks ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.saas_tasks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Data for Name: codes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.codes VALUES ('shop', '13800138009', 'plain', '\xe28c1f0917ae269f1bb394330077cae7a1e595756ba6d8be3a131127294199ce', '01a245379fb809dfeaef3a43fcaae30c', 0, false, '2026-12-05 08:00:03+00', '2026-12-05 08:05:03+00', '\x', NULL, '', false, '\x', '', 0, false, NULL, NULL);


--
-- Data for Name: events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.events VALUES ('evt_01a2453794009df95c7b8bfd798673ec_0d', 'shop', '01a2453794009df95c7b8bfd798673ec', 'message.delivered', 'sms', '13800138000', 'delivered', 'DELIVERED', 'DELIVERED', 'o-q-del', 'aliyun', '900619746936498440^0', '', '', 0, '2026-12-05 07:40:28.741+00', 'delivered', 1, '2026-12-05 08:02:01+00', 204, '', '2026-12-05 08:00:01+00');
INSERT INTO public.events VALUES ('evt_01a2453797e8a78772fe597d38c5f5f8_0f', 'shop', '01a2453797e8a78772fe597d38c5f5f8', 'message.failed', 'sms', '13800138001', 'failed', 'MOBILE_NOT_ON_SERVICE', 'MOBILE_NOT_ON_SERVICE', 'o-q-fail', 'aliyun', '900619746936498441^0', '', '', 0, '2026-12-05 07:40:28.766+00', 'pending', 1, '2026-12-05 08:00:07.854+00', 503, 'webhook: event evt_01a2453797e8a78772fe597d38c5f5f8_0f to 127.0.0.1:41525: answered 503', NULL);


--
-- Data for Name: idempotency; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.idempotency VALUES ('shop', 'idem-1', 'h1', 200, '\x7b22436f6465223a224f4b222c224d6573736167654964223a223031613234353337393430303964663935633762386266643739383637336563227d', '2026-12-05 08:00:03+00', '2026-12-06 08:00:03+00', '2026-12-05 08:01:03+00');


--
-- Data for Name: messages; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.messages VALUES ('01a2453794009df95c7b8bfd798673ec', 'shop', 'sms', '["13800138000"]', '冰鉴科技', 'SMS_184105379', '{"code":"123456"}', 'o-q-del', 'aliyun', 'delivered', '900619746936498440^0', '16223A50-3FCE-D5EB-AA01-AD48C329A479', '', '', false, '2026-12-05 08:00:00+00', '2026-12-05 07:40:28.741+00', 'sqs:q-del', true, NULL);
INSERT INTO public.messages VALUES ('01a2453797e8a78772fe597d38c5f5f8', 'shop', 'sms', '["13800138001"]', '冰鉴科技', 'SMS_184105379', '{"code":"123456"}', 'o-q-fail', 'aliyun', 'failed', '900619746936498441^0', 'D37BC6EF-C44C-9747-3ED1-860383E20748', 'MOBILE_NOT_ON_SERVICE', 'MOBILE_NOT_ON_SERVICE', false, '2026-12-05 08:00:01+00', '2026-12-05 07:40:28.766+00', 'sqs:q-fail', true, NULL);
INSERT INTO public.messages VALUES ('01a245379fb825f95409bd8d4e0cc22f', 'shop', 'sms', '["13800138002"]', '冰鉴科技', 'SMS_184105379', '{"code":"123456"}', 'o-q-sub', 'aliyun', 'submitted', '900619746936498442^0', '6476F46F-0AE1-17E2-4608-110ED58410E8', '', '', false, '2026-12-05 08:00:03+00', '2026-12-05 08:00:03+00', 'sqs:q-sub', true, NULL);
INSERT INTO public.messages VALUES ('01a245379fb8b29f9c7605f29bc3ae4a', 'shop', 'sms', '[]', '', '', '', '', '', 'failed', '', '', 'invalid_field', ': bad', false, '2026-12-05 08:00:03+00', '2026-12-05 08:00:03+00', 'sqs:q-ref', false, NULL);
INSERT INTO public.messages VALUES ('01a245379fb8a2220c12bf802712ab83', 'shop', 'sms', '["13800138003"]', '冰鉴科技', 'SMS_184105379', '{"code":"123456"}', '', 'aliyun', 'accepted', '', '', '', '', false, '2026-12-05 08:00:03+00', '2026-12-05 08:00:03+00', 'sqs:q-acc', false, NULL);
INSERT INTO public.messages VALUES ('01a245379fb9a4799200b38c53610821', 'shop', 'sms', '["13800138004"]', '冰鉴科技', 'SMS_184105379', '{"code":"123456"}', '', 'aliyun', 'unknown', '', '', 'Ambiguous', '', false, '2026-12-05 08:00:03+00', '2026-12-05 08:00:03+00', 'sqs:q-unk', false, NULL);
INSERT INTO public.messages VALUES ('01a245379fb809dfeaef3a43fcaae30c', 'shop', 'sms', '["13800138009"]', '冰鉴科技', 'login_code', '{"code":"REDACTED"}', '', 'aliyun', 'submitted', '900619746936498443^0', 'FC1F42F9-9B48-4E33-7BA4-6F690A8105BC', '', '', false, '2026-12-05 08:00:03+00', '2026-12-05 08:00:03+00', '', true, NULL);
INSERT INTO public.messages VALUES ('01a245379fba5f3f541a345046d876b5', 'shop', 'sms', '["13800138005"]', '冰鉴科技', 'SMS_184105379', '{"code":"123456"}', '', 'aliyun', 'submitted', 'biz-task', '', '', '', false, '2026-12-05 08:00:03+00', '2026-12-05 08:00:03+00', '', false, NULL);


--
-- Data for Name: quotas; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.quotas VALUES ('fixture:13800138000', '2026-12-04 16:00:00+00', 1, '2026-12-05 16:00:00+00');


--
-- Data for Name: replies; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: reports; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.reports OVERRIDING SYSTEM VALUE VALUES (1, '01a2453794009df95c7b8bfd798673ec', 'aliyun', 'sms', '900619746936498440^0', '13800138000', 'delivered', 'DELIVERED', 'DELIVERED', '', '2026-12-05 08:00:01+00', '2026-12-05 07:40:28.741+00', '\x');
INSERT INTO public.reports OVERRIDING SYSTEM VALUE VALUES (2, '01a2453797e8a78772fe597d38c5f5f8', 'aliyun', 'sms', '900619746936498441^0', '13800138001', 'failed', 'MOBILE_NOT_ON_SERVICE', 'MOBILE_NOT_ON_SERVICE', '', '2026-12-05 08:00:02+00', '2026-12-05 07:40:28.766+00', '\x');


--
-- Data for Name: saas_balances; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.saas_balances VALUES ('shop', 'st-1', 97, 100, 1000);


--
-- Data for Name: saas_ledger; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.saas_ledger OVERRIDING SYSTEM VALUE VALUES (1, 'shop', 'st-1', 'recharge', 100, 1000, '', 0, 1, '套餐包', '10', 'ops', 'deal-1', '', '2026-12-05 08:00:03+00');
INSERT INTO public.saas_ledger OVERRIDING SYSTEM VALUE VALUES (2, 'shop', 'st-1', 'spend', -3, 0, '01a245379fba5f3f541a345046d876b5', 1, 0, '', '', '', '', '', '2026-12-05 08:00:03+00');


--
-- Data for Name: saas_tasks; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.saas_tasks OVERRIDING SYSTEM VALUE VALUES (1, 'shop', 'st-1', NULL, NULL, '13800138005', '您的订单已发货', 0, '01a245379fba5f3f541a345046d876b5', '2026-12-05 08:00:03+00', '2026-12-05 08:00:03+00');


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES (1, '001_messages.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (2, '002_queue_key.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (3, '003_idempotency.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (4, '004_reports.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (5, '005_quotas.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (6, '006_codes.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (7, '007_saas.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (8, '008_events.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (9, '009_code_escalation.sql', '2026-12-05 07:40:28.686852+00');
INSERT INTO public.schema_migrations VALUES (10, '010_code_restore.sql', '2026-12-05 07:40:28.686852+00');


--
-- Name: replies_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.replies_id_seq', 1, false);


--
-- Name: reports_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.reports_id_seq', 2, true);


--
-- Name: saas_ledger_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.saas_ledger_id_seq', 2, true);


--
-- Name: saas_tasks_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.saas_tasks_id_seq', 1, true);


--
-- Name: codes codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.codes
    ADD CONSTRAINT codes_pkey PRIMARY KEY (group_id, phone_number, scene);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);


--
-- Name: idempotency idempotency_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency
    ADD CONSTRAINT idempotency_pkey PRIMARY KEY (group_id, key);


--
-- Name: messages messages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (id);


--
-- Name: quotas quotas_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.quotas
    ADD CONSTRAINT quotas_pkey PRIMARY KEY (key, window_start);


--
-- Name: replies replies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.replies
    ADD CONSTRAINT replies_pkey PRIMARY KEY (id);


--
-- Name: reports reports_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reports
    ADD CONSTRAINT reports_pkey PRIMARY KEY (id);


--
-- Name: saas_balances saas_balances_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.saas_balances
    ADD CONSTRAINT saas_balances_pkey PRIMARY KEY (group_id, station_id);


--
-- Name: saas_ledger saas_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.saas_ledger
    ADD CONSTRAINT saas_ledger_pkey PRIMARY KEY (id);


--
-- Name: saas_tasks saas_tasks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.saas_tasks
    ADD CONSTRAINT saas_tasks_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: codes_escalate; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX codes_escalate ON public.codes USING btree (escalate_at) WHERE ((escalate_at IS NOT NULL) AND (NOT escalated));


--
-- Name: codes_expires; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX codes_expires ON public.codes USING btree (expires_at);


--
-- Name: events_done; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_done ON public.events USING btree (done_at) WHERE (state = 'delivered'::text);


--
-- Name: events_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_due ON public.events USING btree (next_at) WHERE (state = 'pending'::text);


--
-- Name: events_message; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_message ON public.events USING btree (message_id) WHERE (message_id <> ''::text);


--
-- Name: idempotency_expires; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idempotency_expires ON public.idempotency USING btree (expires_at);


--
-- Name: messages_group_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX messages_group_created ON public.messages USING btree (group_id, created_at);


--
-- Name: messages_provider_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX messages_provider_id ON public.messages USING btree (provider, provider_id) WHERE (provider_id <> ''::text);


--
-- Name: messages_queue_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX messages_queue_key ON public.messages USING btree (queue_key) WHERE ((queue_key <> ''::text) AND (status <> 'failed'::text));


--
-- Name: messages_unsettled; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX messages_unsettled ON public.messages USING btree (created_at) WHERE ((status = ANY (ARRAY['accepted'::text, 'submitted'::text, 'unknown'::text])) AND (NOT sandbox));


--
-- Name: quotas_expires; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX quotas_expires ON public.quotas USING btree (expires_at);


--
-- Name: replies_sequence; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX replies_sequence ON public.replies USING btree (provider, sequence_id) WHERE (sequence_id <> ''::text);


--
-- Name: reports_dedupe; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX reports_dedupe ON public.reports USING btree (provider, provider_id, channel, recipient, status, code);


--
-- Name: reports_message; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reports_message ON public.reports USING btree (message_id);


--
-- Name: reports_orphans; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reports_orphans ON public.reports USING btree (provider, provider_id) WHERE (message_id = ''::text);


--
-- Name: saas_ledger_deal; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX saas_ledger_deal ON public.saas_ledger USING btree (group_id, deal_code) WHERE ((kind = 'recharge'::text) AND (deal_code <> ''::text));


--
-- Name: saas_ledger_message; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX saas_ledger_message ON public.saas_ledger USING btree (message_id, kind) WHERE (message_id <> ''::text);


--
-- Name: saas_ledger_recharges; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX saas_ledger_recharges ON public.saas_ledger USING btree (group_id, station_id, id) WHERE (kind = 'recharge'::text);


--
-- Name: saas_tasks_message; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX saas_tasks_message ON public.saas_tasks USING btree (message_id) WHERE (message_id <> ''::text);


--
-- Name: saas_tasks_station; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX saas_tasks_station ON public.saas_tasks USING btree (group_id, station_id, id);


--
-- PostgreSQL database dump complete
--


