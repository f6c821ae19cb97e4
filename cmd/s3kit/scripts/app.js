// s3kit serve's page: uploads with a progress bar per file.
//
// Files up to the resumable threshold go through the server (POST /upload)
// or straight to S3 with a presigned POST policy (/upload/policy), which
// the server then checks (/upload/policy/confirm). Larger files go
// straight to S3 in parts with Uppy (@uppy/aws-s3 in Companion mode
// against this server's /s3/ routes): each can be paused and resumed, and
// Golden Retriever keeps the upload across a reload. It keeps the bytes of
// files up to 10 MiB only, so a larger file comes back as a "ghost": the
// page asks for it again and, once it is chosen, Uppy lists the parts S3
// has and sends only the others.
import { AwsS3, GoldenRetriever, Uppy } from "./uppy-6.0.1/uppy.min.mjs";

const page = document.body.dataset;
const maxFileSize = Number(page.maxFileSize);
const threshold = Number(page.resumableThreshold);
const keyPrefix = page.location || ""; // the media storage's location and "/"

const input = document.getElementById("files");
const drop = document.getElementById("drop");
const list = document.getElementById("uploads");
const stored = document.getElementById("stored");

function via() {
  return document.querySelector('input[name="via"]:checked').value;
}

function mediaLink(name) {
  return "/media/" + name.split("/").map(encodeURIComponent).join("/");
}

function sizeText(n) {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i ? n.toFixed(1).replace(/\.0$/, "") : n) + " " + units[i];
}

function button(label, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

// row adds a line for one file and returns what updates it.
function row(name) {
  const li = document.createElement("li");
  li.className = "upload";
  const label = document.createElement("span");
  label.className = "name";
  label.textContent = name;
  const bar = document.createElement("progress");
  bar.className = "bar";
  bar.max = 100;
  bar.value = 0;
  const pct = document.createElement("span");
  pct.className = "pct";
  pct.textContent = "0 %";
  const actions = document.createElement("span");
  actions.className = "actions";
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "waiting";
  li.append(label, bar, pct, actions, state);
  list.append(li);
  return {
    li, state,
    say(text) {
      li.classList.remove("failed");
      state.textContent = text;
    },
    progress(loaded, total) {
      const p = total ? Math.floor((100 * loaded) / total) : 0;
      bar.value = p;
      pct.textContent = p + " %";
      li.dataset.updates = String(Number(li.dataset.updates || 0) + 1);
    },
    actions(...buttons) {
      actions.replaceChildren(...buttons);
    },
    done(storedName) {
      bar.value = 100;
      pct.textContent = "100 %";
      li.classList.add("done");
      actions.replaceChildren();
      const a = document.createElement("a");
      a.className = "link";
      a.href = mediaLink(storedName);
      a.textContent = storedName;
      state.replaceChildren("stored as ", a);
      const item = document.createElement("li");
      const copy = a.cloneNode(true);
      copy.className = "";
      item.append(copy);
      stored.prepend(item);
      const empty = document.getElementById("stored-empty");
      if (empty) empty.remove();
    },
    fail(message) {
      li.classList.add("failed");
      state.textContent = "failed: " + message;
    },
  };
}

// send posts a form with XMLHttpRequest, which reports upload progress.
function send(url, form, r) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.onprogress = (e) => r.progress(e.loaded, e.total);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => resolve(xhr);
    xhr.send(form);
  });
}

function errorOf(xhr) {
  try {
    return JSON.parse(xhr.responseText).error.message;
  } catch (e) {
    return xhr.status ? "HTTP " + xhr.status : "the connection failed";
  }
}

async function postJSON(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let answer = {};
  try {
    answer = await res.json();
  } catch (e) {
    // not JSON: the status says it
  }
  if (!res.ok) throw new Error(answer.error ? answer.error.message : "HTTP " + res.status);
  return answer;
}

async function throughServer(file, r) {
  const form = new FormData();
  form.append("file", file);
  r.say("uploading through the server");
  const xhr = await send("/upload", form, r);
  if (xhr.status !== 201) return r.fail(errorOf(xhr));
  r.done(JSON.parse(xhr.responseText).files[0].name);
}

async function straightToS3(file, r) {
  r.say("asking for a policy");
  const policy = await postJSON("/upload/policy", {
    filename: file.name, content_type: file.type || "application/octet-stream", size: file.size,
  });
  const form = new FormData();
  for (const [k, v] of Object.entries(policy.fields)) form.append(k, v);
  form.append("file", file); // the file goes last
  r.say("uploading straight to S3");
  const xhr = await send(policy.url, form, r);
  if (xhr.status !== 204 && xhr.status !== 201 && xhr.status !== 200) return r.fail("S3 answered HTTP " + xhr.status);
  r.say("checking what S3 stored");
  const saved = await postJSON("/upload/policy/confirm", { name: policy.name, token: policy.token });
  r.done(saved.name);
}

// The resumable path: Uppy, its uploads kept across reloads.
const uppy = new Uppy({ id: "s3kit", autoProceed: false, restrictions: { maxFileSize } })
  .use(AwsS3, { companionEndpoint: location.origin, shouldUseMultipart: true })
  .use(GoldenRetriever);
const rows = new Map(); // Uppy's file id -> its row

// resumableRow returns the row of an Uppy file, made with its buttons.
function resumableRow(file) {
  let r = rows.get(file.id);
  if (r) return r;
  r = row(file.name);
  r.li.dataset.fileId = file.id;
  r.li.classList.add("resumable");
  const pause = button("pause", "pause", () => {
    const paused = uppy.pauseResume(file.id);
    if (paused === undefined) return;
    pause.textContent = paused ? "resume" : "pause";
    r.say(paused ? "paused" : "sending in parts");
  });
  const cancel = button("cancel", "cancel", () => cancelUpload(file.id));
  const retry = button("retry", "retry", () => {
    r.sending();
    uppy.retryUpload(file.id).catch(() => {}); // failures come as upload-error
  });
  r.sending = () => {
    r.say("sending in parts");
    pause.textContent = "pause";
    r.actions(pause, cancel);
  };
  r.failed = (message) => {
    r.fail(message);
    r.actions(retry, cancel);
  };
  r.actions(pause, cancel);
  rows.set(file.id, r);
  return r;
}

// cancelUpload removes a file from Uppy; its upload in S3 is aborted,
// by Uppy when it is sending, else (a ghost, a failure) by the page.
function cancelUpload(id) {
  const f = uppy.getFile(id);
  const r = rows.get(id);
  if (!f) return;
  const mp = f.s3Multipart;
  const idle = f.isGhost || f.error;
  uppy.removeFile(id);
  if (mp && idle) {
    fetch("/s3/multipart/" + encodeURIComponent(mp.uploadId) + "?key=" + encodeURIComponent(mp.key), { method: "DELETE" });
  }
  if (r) {
    r.actions();
    r.li.classList.add("cancelled");
    r.say("cancelled: nothing is kept");
  }
  rows.delete(id);
  confirmRestore();
}

function addResumable(file) {
  let id;
  try {
    id = uppy.addFile({ name: file.name, type: file.type, data: file, source: "s3kit" });
  } catch (e) {
    return row(file.name).fail(e.message);
  }
  const f = uppy.getFile(id);
  const r = resumableRow(f);
  if (f.isRestored) {
    r.say("found again: resuming");
    confirmRestore();
    return;
  }
  r.sending();
  uppy.upload().catch(() => {}); // failures come as upload-error
}

// ghostOf returns the restored file that file may be the bytes of (Uppy
// then matches their ids: name, type, size and modification time).
function ghostOf(file) {
  return uppy.getFiles().find((f) => f.isGhost && f.name === file.name && f.size === file.size);
}

// confirmRestore resumes the restored uploads once none of their files
// is a ghost any more.
function confirmRestore() {
  if (!uppy.getState().recoveredState) return;
  const files = uppy.getFiles();
  if (files.some((f) => f.isGhost)) return;
  if (files.length === 0) return uppy.setState({ recoveredState: null }); // all cancelled
  uppy.emit("restore-confirmed");
}

uppy.on("upload-progress", (file, p) => {
  const r = rows.get(file.id);
  if (r) r.progress(p.bytesUploaded, p.bytesTotal);
});
uppy.on("upload-success", (file, res) => {
  const r = rows.get(file.id);
  const key = res.body.key;
  if (r) r.done(key.startsWith(keyPrefix) ? key.slice(keyPrefix.length) : key);
  rows.delete(file.id);
  setTimeout(() => uppy.getFile(file.id) && uppy.removeFile(file.id)); // so that it can be sent again
});
uppy.on("upload-error", (file, err) => {
  const r = file && rows.get(file.id);
  if (r) r.failed(err.message + " (retry resumes it)");
});
uppy.on("restored", () => {
  for (const f of uppy.getFiles()) {
    if (f.progress.uploadComplete) {
      uppy.removeFile(f.id); // stored before the reload
      continue;
    }
    const r = resumableRow(f);
    r.progress(f.progress.bytesUploaded || 0, f.size);
    if (f.isGhost) {
      r.li.classList.add("ghost");
      r.say("choose " + f.name + " (" + sizeText(f.size) + ") again to resume: the browser kept the upload, not the file");
    } else {
      r.say("resuming");
    }
  }
  confirmRestore();
});

function upload(files) {
  const how = via() === "s3" ? straightToS3 : throughServer;
  return Promise.all(
    Array.from(files).map((f) => {
      if (f.size > maxFileSize) return row(f.name).fail("over the limit of " + sizeText(maxFileSize));
      if (f.size > threshold || ghostOf(f)) return addResumable(f);
      const r = row(f.name);
      return how(f, r).catch((e) => r.fail(e.message || String(e)));
    }),
  );
}

input.addEventListener("change", () => {
  if (input.files.length) upload(input.files).then(() => (input.value = ""));
});
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  upload(e.dataTransfer.files);
});
