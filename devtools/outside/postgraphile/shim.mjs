// PostGraphile 5 asks for Node 22 ("engines"), and what it uses of Node 22 is Promise.withResolvers (ES2024). On an
// older Node (this machine has 20), define it before PostGraphile loads: server.mjs imports this module first.
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve, reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
