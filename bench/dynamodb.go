package main

// The DynamoDB comparison (issue 5): Nimbus, dynalite and moto_server, and
// the bare net/http floor, each a subprocess on 127.0.0.1, through one
// aws-sdk-go-v2 DynamoDB client, in the same run. Each operation (ddbOps)
// is measured on every server: a warm-up, runs of o.Callers workers, then
// single-worker runs, both interleaved across the servers so that they
// share whatever else the machine is doing.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynaliteVersion is the dynalite the comparison installs and runs.
const dynaliteVersion = "4.0.0"

// ddbWarmupCalls and ddbWarmupLimit bound the unmeasured calls before each
// server's loaded runs; ddbRounds is how many turns each server's loaded
// run is cut into.
const (
	ddbWarmupCalls = 2000
	ddbWarmupLimit = 2 * time.Second
	ddbRounds      = 4
)

// ddbServer is one DynamoDB server under measurement.
type ddbServer struct {
	// name heads the server's column: "Nimbus", "dynalite 4.0.0", ….
	name string
	// skipped says why the server is not measured; "" when it is.
	skipped string
	// proc is the process whose CPU is the server's: nimbus, node or
	// python itself, never a wrapper.
	proc   *process
	client *dynamodb.Client
}

// ddbComparison is what the DynamoDB comparison measured.
type ddbComparison struct {
	// Servers are in column order; skipped ones have no results.
	Servers []*ddbServer
	// Load and Single are indexed by operation (as ddbOps) then server.
	Load, Single [][]ddbRun
	// DataFS names the filesystem holding the servers' data.
	DataFS string
}

// measureDynamoDB starts the servers, creates and fills the bench table on
// each, measures every operation on every server, and stops them.
func measureDynamoDB(ctx context.Context, o options, nimbusBin, work string, logf *os.File) (*ddbComparison, error) {
	servers, err := startDDBServers(ctx, nimbusBin, work, logf)
	defer func() {
		for _, s := range servers {
			if s.proc != nil {
				s.proc.stop(5 * time.Second)
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	var live []*ddbServer
	for _, s := range servers {
		if s.skipped != "" {
			progress("dynamodb: %s skipped: %s", s.name, s.skipped)
			continue
		}
		live = append(live, s)
		progress("dynamodb: %s up (pid %d)", s.name, s.proc.pid())
	}
	c := &ddbComparison{Servers: servers, DataFS: fsName(work)}
	for _, op := range ddbOps {
		for _, s := range live {
			ddbLoad(ctx, s, op, "warm", o.Callers, ddbWarmupCalls, ddbWarmupLimit)
		}
		load, single := make([]ddbRun, len(servers)), make([]ddbRun, len(servers))
		for i, r := range ddbLoaded(ctx, live, op, o.Callers, o.Calls, o.Limit) {
			load[slices.Index(servers, live[i])] = r
			progress("dynamodb: %s %s: %.0f/s at %d workers, p99 %v, server CPU %v per call, %d errors",
				live[i].name, op.name, r.perSecond(), r.Workers, percentile(r.Latencies, 99).Round(time.Microsecond),
				r.perCall(r.ServerCPU), r.errorCount())
		}
		for i, r := range ddbSingle(ctx, live, op, o.Warm, o.Block, o.Limit) {
			single[slices.Index(servers, live[i])] = r
		}
		c.Load, c.Single = append(c.Load, load), append(c.Single, single)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// startDDBServers starts Nimbus (durable, on a data directory), dynalite
// and moto_server with the bench table filled, and the floor server. A
// missing or failing dynalite or moto_server is skipped, with the reason;
// Nimbus or the floor failing is an error. The caller stops the processes
// of the servers returned, even with an error.
func startDDBServers(ctx context.Context, nimbusBin, work string, logf *os.File) ([]*ddbServer, error) {
	var servers []*ddbServer

	nim := &ddbServer{name: "Nimbus"}
	servers = append(servers, nim)
	addr, err := freeAddr()
	if err != nil {
		return servers, err
	}
	argv := []string{nimbusBin, "up", "--addr", addr, "--data-dir", filepath.Join(work, "ddb-nimbus"), "--log-level", "warn"}
	if nim.proc, _, err = startProcess(argv, "", nil, logf); err != nil {
		return servers, err
	}
	if _, err := waitHealthy("http://"+addr, 20*time.Second, nim.proc.exited); err != nil {
		return servers, err
	}
	nim.client = newDDBClient("http://" + addr)
	if err := fillTable(ctx, nim.client); err != nil {
		return servers, fmt.Errorf("nimbus: %w", err)
	}

	dl := &ddbServer{name: "dynalite " + dynaliteVersion}
	servers = append(servers, dl)
	if node, cli, err := installDynalite(ctx); err != nil {
		dl.skipped = err.Error()
	} else {
		startDDBPeer(ctx, dl, logf, func(port string) []string {
			return []string{node, cli, "--host", "127.0.0.1", "--port", port, "--createTableMs", "0",
				"--path", filepath.Join(work, "ddb-dynalite")}
		})
	}

	moto := &ddbServer{name: "moto_server"}
	servers = append(servers, moto)
	if bin := findMoto(); bin == "" {
		moto.skipped = "moto_server not found (pip install 'moto[server]')"
	} else {
		moto.name += " " + motoVersion(bin)
		// It logs every request: its stderr is dropped.
		startDDBPeer(ctx, moto, nil, func(port string) []string {
			return []string{bin, "-H", "127.0.0.1", "-p", port}
		})
	}

	floor := &ddbServer{name: "floor"}
	servers = append(servers, floor)
	var url string
	if floor.proc, url, err = startFloorProcess(logf); err != nil {
		return servers, err
	}
	floor.client = newDDBClient(url)
	return servers, nil
}

// startDDBPeer starts a peer server with the argv that argvFor returns for
// a free loopback port, and fills its table; on failure s is marked
// skipped with the reason.
func startDDBPeer(ctx context.Context, s *ddbServer, stderr *os.File, argvFor func(port string) []string) {
	addr, err := freeAddr()
	if err == nil {
		_, port, _ := net.SplitHostPort(addr)
		s.proc, _, err = startProcess(argvFor(port), "", nil, stderr)
	}
	if err == nil {
		_, err = waitListening(addr, 30*time.Second, s.proc.exited)
	}
	if err == nil {
		s.client = newDDBClient("http://" + addr)
		err = fillTable(ctx, s.client)
	}
	if err != nil {
		s.skipped = "failed: " + err.Error()
	}
}

// fillTable creates the bench table (pk and sk, both strings;
// PAY_PER_REQUEST), waits until it is ACTIVE, and writes the ddbItems
// items and the Query partition with BatchWriteItem.
func fillTable(ctx context.Context, c *dynamodb.Client) error {
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(ddbTable),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("creating the table: %w", err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(ddbTable)}, 30*time.Second); err != nil {
		return fmt.Errorf("waiting for the table to be ACTIVE: %w", err)
	}
	var items []map[string]types.AttributeValue
	for i := range ddbItems {
		items = append(items, ddbItem(ddbItemKey(i)))
	}
	for i := range ddbQueryItems {
		items = append(items, ddbItem(ddbQueryPK, ddbQuerySK(i)))
	}
	for len(items) > 0 {
		batch := items[:min(25, len(items))]
		items = items[len(batch):]
		reqs := make([]types.WriteRequest, len(batch))
		for i, item := range batch {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
		}
		pending := map[string][]types.WriteRequest{ddbTable: reqs}
		for try := 0; len(pending) > 0; try++ {
			if try == 10 {
				return errors.New("filling the table: items left unprocessed after 10 tries")
			}
			out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("filling the table: %w", err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

// dynaliteInstall says how to get what the comparison needs to run dynalite.
const dynaliteInstall = "install Node.js and npm (e.g. apt-get install nodejs npm); the bench then runs `npm install dynalite@" + dynaliteVersion + "` itself"

// installDynalite returns the node binary and the path of dynalite's
// cli.js, installing dynalite with npm into the user's cache directory
// ($XDG_CACHE_HOME/nimbus/bench/dynalite, by default
// ~/.cache/nimbus/bench/dynalite) unless that version is there already.
func installDynalite(ctx context.Context) (node, cli string, err error) {
	if node, err = exec.LookPath("node"); err != nil {
		return "", "", fmt.Errorf("node not found: %s", dynaliteInstall)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", "", err
	}
	dir := filepath.Join(cache, "nimbus", "bench", "dynalite")
	pkg := filepath.Join(dir, "node_modules", "dynalite")
	cli = filepath.Join(pkg, "cli.js")
	if installedVersion(pkg) == dynaliteVersion {
		return node, cli, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", "", fmt.Errorf("npm not found: %s", dynaliteInstall)
	}
	progress("installing dynalite %s into %s", dynaliteVersion, dir)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "dynalite@"+dynaliteVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("npm install dynalite@%s: %w\n%s", dynaliteVersion, err, out)
	}
	if v := installedVersion(pkg); v != dynaliteVersion {
		return "", "", fmt.Errorf("npm installed dynalite %q into %s, want %s", v, dir, dynaliteVersion)
	}
	return node, cli, nil
}

// installedVersion is the version in the package.json of the node package
// in dir, or "" when there is none.
func installedVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	return p.Version
}

// findMoto returns moto_server's own script (run by its Python, so the
// process measured is the server), found on PATH (a pyenv shim, which is a
// shell script, is resolved to the script it runs) or under ~/.pyenv; ""
// when there is none.
func findMoto() string {
	path, err := exec.LookPath("moto_server")
	if err == nil && !strings.Contains(path, "/shims/") {
		return path
	}
	root := filepath.Join(os.Getenv("HOME"), ".pyenv")
	if err == nil {
		root = filepath.Dir(filepath.Dir(path)) // …/.pyenv/shims/moto_server
	}
	found, _ := filepath.Glob(filepath.Join(root, "versions", "*", "bin", "moto_server"))
	if len(found) == 0 {
		return ""
	}
	return found[len(found)-1]
}

// motoVersion is the version of moto that the Python beside bin imports.
func motoVersion(bin string) string {
	out, err := exec.Command(filepath.Join(filepath.Dir(bin), "python3"), "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "(version unknown)"
	}
	return strings.TrimSpace(string(out))
}

// fsName names the filesystem holding dir, for the report: whether synced
// writes reach a disk.
func fsName(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	names := map[int64]string{0xEF53: "ext4", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x01021994: "tmpfs", 0x794C7630: "overlayfs", 0x2FC12FC1: "zfs"}
	if n, ok := names[int64(st.Type)]; ok {
		return n
	}
	return fmt.Sprintf("filesystem type %#x", st.Type)
}
