// IndexedDB for the witness page: "kv" holds the device (its non-extractable CryptoKey pair, its
// verifier key, organisation and sources, the log key it trusts); "outbox" holds every sheet the
// witness confirmed, signed, with its state ("pending" until the server answers, then "logged"
// with the verified receipt, or "rejected" with the reason). A CryptoKey is structured-cloneable,
// so the private key is stored without ever being exported.
const DB = 'tallylog-witness';

function open() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('kv');
      r.result.createObjectStore('outbox', { keyPath: 'id' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function tx(store, mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const req = fn(t.objectStore(store));
      t.oncomplete = () => resolve(req ? req.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

export const getKV = (k) => tx('kv', 'readonly', (s) => s.get(k));
export const putKV = (k, v) => tx('kv', 'readwrite', (s) => s.put(v, k));
export const delKV = (k) => tx('kv', 'readwrite', (s) => s.delete(k));
export const outbox = () => tx('outbox', 'readonly', (s) => s.getAll());
export const putItem = (item) => tx('outbox', 'readwrite', (s) => s.put(item));
