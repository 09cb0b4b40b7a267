package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/nimbus-dev/nimbus/internal/auth"
	"github.com/nimbus-dev/nimbus/internal/server"
	"github.com/nimbus-dev/nimbus/internal/version"
)

func newUpCommand() *cobra.Command {
	var (
		cfg             server.Config
		authMode        string
		credentialFlags []string
		credentialsFile string
		logLevel        string
		cpuProfile      string
		interpreters    []string
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start Nimbus: the AWS APIs on one port, functions as local processes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			switch authMode {
			case "none":
			case "verify":
				cfg.VerifyAuth = true
			default:
				return fmt.Errorf("--auth must be none or verify, not %q", authMode)
			}
			for _, f := range credentialFlags {
				c, err := auth.ParseCredentialFlag(f)
				if err != nil {
					return err
				}
				cfg.Credentials = append(cfg.Credentials, c)
			}
			if credentialsFile != "" {
				cs, err := auth.LoadCredentialsFile(credentialsFile)
				if err != nil {
					return err
				}
				cfg.Credentials = append(cfg.Credentials, cs...)
			}
			var err error
			if cfg.Interpreters, err = parseInterpreters(interpreters); err != nil {
				return err
			}
			if cfg.VerifyAuth && len(cfg.Credentials) == 0 {
				return fmt.Errorf("--auth verify needs credentials: --credentials AKID:SECRET[:ACCOUNT] or --credentials-file")
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return runUp(cmd, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:4566", "address to listen on")
	f.StringVar(&cfg.DataDir, "data-dir", ".nimbus", "directory for durable state (functions, code, logs)")
	f.BoolVar(&cfg.Ephemeral, "ephemeral", false, "keep state in memory only; nothing survives a restart")
	f.StringArrayVar(&cfg.AccountMap, "account", nil, "map an access key to an account, AKID=123456789012 (repeatable); other keys use 000000000000")
	f.StringVar(&authMode, "auth", "none", "none: accept any credentials (loopback only); verify: check SigV4 signatures")
	f.StringArrayVar(&credentialFlags, "credentials", nil, "credentials accepted under --auth verify, AKID:SECRET[:ACCOUNT] (repeatable)")
	f.StringVar(&credentialsFile, "credentials-file", "", "AWS-style credentials file of keys accepted under --auth verify (an 'account' key per profile sets its account)")
	f.BoolVar(&cfg.InsecurePublic, "insecure-public", false, "allow a non-loopback --addr without --auth verify")
	f.IntVar(&cfg.AccountConcurrency, "account-concurrency", 1000, "concurrent executions per account")
	f.DurationVar(&cfg.ShardRollover, "stream-shard-rollover", 4*time.Hour, "how long a DynamoDB stream shard takes records before a child shard takes over")
	f.DurationVar(&cfg.IdleTimeout, "idle-timeout", 10*time.Minute, "how long an idle function instance stays warm")
	f.IntVar(&cfg.LogRetentionDays, "log-retention-days", 30, "retention of log groups Nimbus creates (function logs); 0 = never expire")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&cfg.Isolation, "isolation", "auto", "auto: a memory cgroup, mount and PID namespaces and a user per function instance, as far as the host allows (root); off: plain processes. NIMBUS_REQUIRE_ISOLATION=1 refuses to start without all of them")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the server to this file until it stops")
	addInterpreterFlag(cmd, &interpreters)
	return cmd
}

func runUp(cmd *cobra.Command, cfg server.Config) error {
	if cmd.Flags().Changed("log-retention-days") && cfg.LogRetentionDays == 0 {
		cfg.LogRetentionDays = -1 // the flag's 0 means never expire
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Nimbus %s is up at %s\n", version.Get().Version, srv.URL())
	fmt.Fprintf(out, "  services: %s\n", strings.Join(srv.Services(), ", "))
	if cfg.Ephemeral {
		fmt.Fprintf(out, "  state: in memory (--ephemeral)\n")
	} else {
		fmt.Fprintf(out, "  state: %s\n", srv.DataDir())
	}
	fmt.Fprintf(out, "  try: aws --endpoint-url %s lambda list-functions\n", srv.URL())

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	<-signals
	fmt.Fprintln(out, "Shutting down: in-flight invocations finish or reach their deadline (signal again to stop now)")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-signals
		cancel()
	}()
	return srv.Shutdown(ctx)
}
