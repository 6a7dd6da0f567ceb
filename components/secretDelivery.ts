// How a secret file reaches the one user that reads it, given how the Docker provider uploads files.
//
// The provider (terraform-provider-docker, which @pulumi/docker wraps) puts uploads into the
// created container through the archive API. With an upload `owner` or `group` it asks the daemon
// to copy "with the container's uid/gid" (CopyUIDGID), and then the daemon ignores the tar
// header's owner: it chowns the file to the container's `Config.User`, resolved on the Docker
// HOST (Docker 20.10 looks the whole string up with getent, so a numeric `uid:gid` user fails the
// upload: "getent unable to find entry \"10001:10001\" in passwd database", measured under the
// real engine; newer daemons parse numeric ids but still resolve names on the host). Only when
// `Config.User` is empty does the daemon keep the header's uid/gid. Without owner and group the
// file lands root:root. So there are two forms that hold on every daemon version:
//
// - "owned": the container has no user (no --user, no USER line; the image starts as root and
//   steps down itself, like mongo's gosu or nginx's master): mode 0400, owned by the reader's
//   uid:gid through the header;
// - "root-group": the container runs as a fixed user: mode 0440, root:root, and the process joins
//   group 0 (`--group-add 0`) unless its primary group is 0 already, so it, and root, read it.
import type { RuntimeUser } from "../facts/images";

export interface SecretDelivery {
  form: "owned" | "root-group";
  /** The upload's fields besides the path and the content. */
  upload: { permissions: "0400" | "0440"; owner?: string; group?: string };
  /** Supplementary groups the container needs to read its secret files. */
  groupAdds: string[];
}

/**
 * @param configUser the container's effective `Config.User`: the program's `--user`, else the
 *   image's own USER line ("" when neither is set)
 * @param reader the uid:gid of the process that reads the files
 */
export function secretDelivery(configUser: string, reader: RuntimeUser): SecretDelivery {
  if (configUser === "") return { form: "owned", upload: { permissions: "0400", owner: String(reader.uid), group: String(reader.gid) }, groupAdds: [] };
  return { form: "root-group", upload: { permissions: "0440" }, groupAdds: reader.gid === 0 ? [] : ["0"] };
}
