// Starts the pinned fauxqs SNS/SQS emulator for amstream's tests and benchmarks.
//
//   node tests/servers/fauxqs.mjs [--port N] [--exit-on-stdin-close]
//
// Binds 127.0.0.1 only, with request logging off. Port 0 (the default) lets the kernel
// choose; either way the bound port is printed as one JSON line, {"port":12345}, once the
// server answers. GET /health is then ready. SIGTERM or SIGINT stop it cleanly. With
// --exit-on-stdin-close it also stops when its standard input closes, which is how a test
// process that crashed still takes its emulator down with it.
import { buildApp } from "fauxqs";

function parseArgs(argv) {
  const options = { port: 0, exitOnStdinClose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--exit-on-stdin-close") {
      options.exitOnStdinClose = true;
    } else if (arg === "--port" && i + 1 < argv.length) {
      options.port = Number(argv[++i]);
    } else if (/^\d+$/.test(arg)) {
      options.port = Number(arg);
    } else {
      throw new Error(`unknown argument: ${arg}`);
    }
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`bad port: ${options.port}`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const app = buildApp({ logger: false });
  await app.listen({ port: options.port, host: "127.0.0.1" });
  const port = app.server.address().port;

  let stopping = false;
  const stop = async () => {
    if (stopping) {
      return;
    }
    stopping = true;
    // Open keep-alive connections would hold close() until they time out.
    app.server.closeAllConnections?.();
    await app.close().catch(() => {});
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  if (options.exitOnStdinClose) {
    process.stdin.on("end", stop);
    process.stdin.on("close", stop);
    process.stdin.on("error", stop);
    process.stdin.resume();
  }

  process.stdout.write(JSON.stringify({ port }) + "\n");
}

main().catch((error) => {
  process.stderr.write(`fauxqs.mjs: ${error.message}\n`);
  process.exit(1);
});
