/**
 * An onnxruntime-node session on its own worker thread. onnxruntime-node's `session.run` is
 * synchronous native code on the calling thread (the promise it returns only defers the call to
 * setImmediate), so in the web process a photo-search batch would hold the event loop for the
 * whole inference — 20–40 ms a photo, hundreds of ms for a coalesced batch on a busy machine. Here
 * the main thread only copies the input into a transferable buffer and gets the output back as
 * one; storefront requests keep flowing while the model runs.
 *
 * The worker is eval'd from a string (no separate file: the server build bundles this module) and
 * loads onnxruntime-node from the path this module resolves. Messages are handled one at a time,
 * in order (the MicroBatcher in front of it runs one batch at a time anyway; a release waits for
 * the runs sent before it). The worker does not keep the process
 * alive while idle.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type * as ort from "onnxruntime-node";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.ortPath);
ort.InferenceSession.create(workerData.file, workerData.options).then(
  (session) => {
    parentPort.postMessage({ ready: true });
    const handle = async (msg) => {
      if (msg.release) {
        await session.release().catch(() => {});
        parentPort.postMessage({ released: true });
        return;
      }
      try {
        const out = await session.run({ [msg.inputName]: new ort.Tensor("float32", msg.input, msg.dims) });
        const data = msg.outputNames.map((name) => {
          const t = out[name];
          if (!t) throw new Error("model has no output " + name);
          const values = Float32Array.from(t.data);
          if (t.dispose) t.dispose();
          return values;
        });
        parentPort.postMessage({ id: msg.id, data }, data.map((d) => d.buffer));
      } catch (e) {
        parentPort.postMessage({ id: msg.id, error: String((e && e.message) || e) });
      }
    };
    // One message at a time, in order: a release waits for the runs sent before it.
    let chain = Promise.resolve();
    parentPort.on("message", (msg) => {
      chain = chain.then(() => handle(msg));
    });
  },
  (e) => parentPort.postMessage({ ready: false, error: String((e && e.message) || e) }),
);
`;

export interface ThreadSession {
  /** Runs the model on `input` (shape `dims`) and returns the values of `outputNames`, in that order. */
  run(inputName: string, outputNames: string[], input: Float32Array, dims: number[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export async function createThreadSession(file: string, options: ort.InferenceSession.SessionOptions): Promise<ThreadSession> {
  const ortPath = createRequire(import.meta.url).resolve("onnxruntime-node");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, file, options } });
  const pending = new Map<number, { resolve: (d: Float32Array[]) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failed: Error | undefined;
  let onReleased: (() => void) | undefined;

  await new Promise<void>((resolve, reject) => {
    const onReady = (msg: { ready?: boolean; error?: string }) => {
      if (msg.ready === undefined) return;
      worker.off("message", onReady);
      worker.off("error", reject);
      if (msg.ready) resolve();
      else reject(new Error(msg.error));
    };
    worker.on("message", onReady);
    worker.once("error", reject);
  }).catch(async (e) => {
    await worker.terminate();
    throw e;
  });

  worker.unref(); // idle: never keeps the process alive
  const fail = (e: Error) => {
    failed = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    worker.unref();
  };
  worker.on("error", fail);
  worker.on("exit", (code) => {
    onReleased?.();
    if (!failed) fail(new Error(`ONNX worker thread exited (${code})`));
  });
  worker.on("message", (msg: { id?: number; data?: Float32Array[]; error?: string; released?: boolean }) => {
    if (msg.released) return onReleased?.();
    const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id!);
    if (pending.size === 0) worker.unref();
    if (msg.error !== undefined) p.reject(new Error(msg.error));
    else p.resolve(msg.data!);
  });

  return {
    run(inputName, outputNames, input, dims) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise<Float32Array[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref(); // a batch in flight keeps the process alive until it is answered
        worker.postMessage({ id, inputName, outputNames, input, dims }, [input.buffer as ArrayBuffer]);
      });
    },
    async release() {
      if (failed) return;
      await new Promise<void>((resolve) => {
        onReleased = resolve;
        worker.postMessage({ release: true });
      });
      failed = new Error("ONNX worker thread released");
      await worker.terminate();
    },
  };
}
