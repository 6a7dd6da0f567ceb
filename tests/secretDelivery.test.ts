// The two forms a secret file reaches its reader in (components/secretDelivery.ts), chosen by
// whether the container has a Config.User: the daemon honours the upload's owner only without one.
import { describe, expect, it } from "vitest";
import { secretDelivery } from "../components/secretDelivery";

describe("secret delivery", () => {
  it("a container without a user gets the file 0400, owned by the reader through the upload's header", () => {
    expect(secretDelivery("", { uid: 999, gid: 999 })).toEqual({ form: "owned", upload: { permissions: "0400", owner: "999", group: "999" }, groupAdds: [] });
  });

  it("a container with a fixed user gets 0440 root:root and joins group 0 (no owner: Docker 20.10 would look the uid up on the host)", () => {
    expect(secretDelivery("10001:10001", { uid: 10001, gid: 10001 })).toEqual({ form: "root-group", upload: { permissions: "0440" }, groupAdds: ["0"] });
    expect(secretDelivery("nobody", { uid: 65534, gid: 65534 }).upload).not.toHaveProperty("owner");
  });

  it("a reader whose primary group is 0 needs no extra group", () => {
    expect(secretDelivery("1001:0", { uid: 1001, gid: 0 }).groupAdds).toEqual([]);
  });
});
