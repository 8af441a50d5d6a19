"""The grade's witness inside a check process: an audit hook learner code cannot remove.

Installed (under `torchlings grade` only) after the check process has
imported everything and before the learner's file runs. It watches the
interpreter's audit events (PEP 578) and reports to the runner on the
check's output pipe, in lines authenticated with a key that lives only in
this hook's closure:

- what learner code must not do under a grade, and ends the check at once
  (SIGKILL, after saying why): reading frames (`sys._getframe`, `tb_frame`,
  `gi_frame`, through `inspect` or `traceback` too), walking the heap (`gc`),
  `ctypes`, tracing, opening `/proc` (its own memory, other processes'
  pipes), reading the installed reference solutions, and replacing
  attributes of the classes and functions the verdict depends on;
- what only makes the exercise suspicious: writing files outside the
  check's own folder, starting processes, importing torchlings or pytest,
  running code built at run time;
- the verdict: when the runner's own `run_child` (identified by its code
  object and globals, captured here) has written the result, it raises
  VERDICT_EVENT and the hook certifies the SHA-256 of the result file, read
  by the hook itself, together with what it finds replaced among the
  judge's functions, new torch.Tensor subclasses, and torch function or
  dispatch modes left on.

The runner (engine/host/evidence.py) accepts a pass only with that
certificate, every line authenticated and numbered without a gap. The hook
never calls code learner code could have replaced: everything it uses is a
C function captured at install time, it only compares objects by identity
or exact `str`, and it never raises into learner code.
"""

from __future__ import annotations

import builtins
import os
import sys
import tempfile
import types
from collections.abc import Iterable
from typing import Any

from torchlings.engine.child import witness_terms
from torchlings.engine.child.witness_terms import (
    CHECK_LOADED_EVENT,
    DYNAMO_PATCHES,
    FATAL_IF_LEARNER,
    FRAME_ATTRIBUTES,
    JUDGE_PACKAGES,
    MODULE_WRITE_EVENT,
    MORE_MODULES,
    PATH_CHANGES,
    PROC_READS,
    PROCESSES,
    REWRAPPED_BY_TORCH,
    SUBCLASS_EVENT,
    TENSOR_SHADOW_EVENT,
    VERDICT_EVENT,
    WATCHED_CLASS_NAMES,
    WATCHED_EVENTS,
)
from torchlings.engine.protocol import GUARD_MARK


def install(**terms: Any) -> None:
    """Start witnessing. Call once, after every import and before the learner's file runs.

    The hook's functions get a private copy of this module's globals and of
    the builtins, taken now: learner code that replaces `builtins.len` or a
    constant of this module later changes nothing the hook looks up.
    """
    private = dict(globals())
    private["__builtins__"] = dict(vars(builtins))
    types.FunctionType(_install.__code__, private, "_install")(**terms)


def _install(*, key: str, fd: int, exercise: str, scratch: str, result_file: str,
             forbidden: Iterable[str], verdict_code: Any, verdict_globals: dict[str, Any]) -> None:
    import _hashlib
    import _thread
    import collections
    import dataclasses
    import inspect
    import signal
    import traceback

    import torch

    from torchlings.engine.child.pinned import PinnedModule

    witness_terms.not_dumpable()
    pinned_code, pinned_globals = PinnedModule._getobj.__code__, PinnedModule._getobj.__globals__

    # Everything the hook calls, captured now: C functions and builtins only.
    write, fstat, dup, kill, getpid = os.write, os.fstat, os.dup, os.kill, os.getpid
    os_open, os_read, os_close = os.open, os.read, os.close
    read_flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    sigkill = signal.SIGKILL
    getframe = sys._getframe
    get_ident = _thread.get_ident
    main_thread = get_ident()
    hmac_digest, sha256 = _hashlib.hmac_digest, _hashlib.openssl_sha256
    subclasses = type.__subclasses__
    is_ = type
    str_, bytes_, int_, tuple_, id_, list_ = str, bytes, int, tuple, id, list
    function_modes = getattr(torch._C, "_len_torch_function_stack", lambda: 0)
    dispatch_modes = getattr(torch._C, "_len_torch_dispatch_stack", lambda: 0)
    tensor = torch.Tensor

    key_bytes = key.encode("ascii")
    out = dup(fd)
    status = fstat(out)
    pipe = (status.st_dev, status.st_ino)
    exercise = str(exercise)
    scratch = os.path.realpath(scratch).rstrip(os.sep) + os.sep
    forbidden = tuple(os.path.realpath(f).rstrip(os.sep) + os.sep for f in forbidden)
    result_file = str(result_file)
    transparent = frozenset({inspect.__file__, traceback.__file__})
    # The standard library's class builders write their methods' source from
    # field names and exec it: a NamedTuple or a dataclass is not code that the
    # learner built at run time. (What such code then does is watched as usual.)
    class_builders = frozenset({collections.__file__, dataclasses.__file__})
    # The standard library's files (and the import system's), which act for their caller.
    stdlib = (os.path.dirname(os.__file__) + os.sep, "<frozen ")
    temp = os.path.realpath(tempfile.gettempdir()).rstrip(os.sep) + os.sep
    runner_prefixes = (temp + "torchlings-check-", temp + "torchlings-grade-",
                       "/tmp/torchlings-check-", "/tmp/torchlings-grade-")
    # Where learner code may write: its working folder and pytest's tmp_path folders.
    # The check's TMPDIR (sandbox.use_private_tmp) is scratch/tmp: tempfile's.
    tmp_roots = (scratch + "cwd" + os.sep, scratch + "pytest-tmp" + os.sep,
                 scratch + "tmp" + os.sep, "/dev/null",
                 "/dev/shm/torch_", "/dev/shm/__KMP_")

    spaces = witness_terms.watched_namespaces()
    def judges(value: Any) -> bool:
        # Functions, and the descriptors classes hold them in; classes are
        # rebound legitimately (torch.Storage follows the default dtype).
        return (callable(value) or isinstance(value, (classmethod, staticmethod, property))) \
            and not isinstance(value, type)

    snapshot = [(label, namespace, {name: value for name, value in dict(namespace).items()
                                    if judges(value) and (label, name) not in REWRAPPED_BY_TORCH})
                for label, namespace in spaces]
    guarded_ids = frozenset(
        {id(v) for _, _, names in snapshot for v in names.values()}
        | {id(cls) for dotted in WATCHED_CLASS_NAMES
           if isinstance(cls := getattr(sys.modules.get(dotted.rpartition(".")[0]),
                                        dotted.rpartition(".")[2], None), type)}
        | {id(type(tensor))} | {id(cls) for cls in witness_terms.mode_classes()})

    # The judge's modules become a subclass whose attribute writes the hook
    # sees: a function replaced while a test runs and put back before the
    # verdict (which compares only the end state) is caught as it is written.
    audit, module_type = sys.audit, types.ModuleType

    class WatchedModule(types.ModuleType):
        __slots__ = ()

        def __setattr__(self, name: str, value: Any) -> None:
            audit(MODULE_WRITE_EVENT, self, name)
            module_type.__setattr__(self, name, value)

        def __delattr__(self, name: str) -> None:
            audit(MODULE_WRITE_EVENT, self, name)
            module_type.__delattr__(self, name)

    watched_modules: dict[int, tuple[str, dict[str, Any]]] = {}

    def watch_module(label: str, module: Any, names: dict[str, Any]) -> None:
        if is_(module) is module_type:
            module.__class__ = WatchedModule
            watched_modules[id_(module)] = (label, names)

    for label, namespace, names in snapshot:
        module = sys.modules.get(label)
        if getattr(module, "__dict__", None) is namespace:
            watch_module(label, module, names)
    # A tensor's own attribute named like one of torch.Tensor's methods hides
    # that method from the check (`out.detach = right.detach`): setting one is
    # reported to the hook. Data descriptors (`grad`, `data`) are set as usual.
    hidden_by_instance = frozenset(
        name for cls in (tensor, *tensor.__mro__[1:]) for name, value in vars(cls).items()
        if not hasattr(type(value), "__set__"))
    object_setattr = object.__setattr__

    def tensor_setattr(self: Any, name: str, value: Any) -> None:
        if is_(name) is not str_ or name in hidden_by_instance:
            audit(TENSOR_SHADOW_EVENT, name if is_(name) is str_ else "?")
        object_setattr(self, name, value)

    tensor.__setattr__ = tensor_setattr  # type: ignore[method-assign]
    # Data the judge reads that is changed in place, not replaced: the keyword
    # defaults of its functions (expect_tensor's atol) and the check API's
    # module-level tables (a tolerance per dtype). Compared item by item, by identity.
    def items(container: Any) -> list[Any]:
        """A dict's keys and values in order, or a list's items: compared by identity."""
        if is_(container) is dict:
            return list_(x for pair in container.items() for x in pair)
        return list_(container)

    def identical(now: Any, then: Any) -> bool:
        # By identity: comparing with == could run a learner object's __eq__.
        return len(now) == len(then) and all(a is b for a, b in zip(now, then, strict=True))

    in_place = [(label, container, items(container))
                for label, container in witness_terms.judge_data(snapshot, spaces)]
    own_dict = type.__dict__["__dict__"].__get__
    # Subclasses made by learner code, from when they are made (SUBCLASS_EVENT below).
    made_by_learner: dict[int, Any] = {}  # kept alive: an id is never reused

    def torch_own(cls: Any) -> bool:
        # torch defines subclasses of its own as parts of it are imported. A class
        # body can claim torch's `__module__` too: those made by learner code are
        # known from when they were made (made_by_learner).
        if id_(cls) in made_by_learner:
            return False
        for name, value in own_dict(cls).items():
            if is_(name) is str_ and name == "__module__":
                return is_(value) is str_ and (value == "torch" or value.startswith("torch."))
        return False

    # Every subclass made from here on says so to the hook (torch.Tensor's and the
    # mode classes' __init_subclass__, which type() calls), with its maker's frame.
    watched_bases = (tensor, *witness_terms.mode_classes())

    def init_subclass(cls: Any, /, **kwargs: Any) -> None:
        audit(SUBCLASS_EVENT, cls)

    for base in watched_bases:
        base.__init_subclass__ = classmethod(init_subclass)  # type: ignore[method-assign,assignment]

    function_type, code_type = types.FunctionType, types.CodeType
    mutation_guard = os.sep + os.path.join("torch", "_dynamo", "mutation_guard.py")

    def dynamo_patch(label: str, name: str, value: Any) -> bool:
        # torch.compile patches nn.Module.__init__ and __setstate__ with
        # functions of torch/_dynamo/mutation_guard.py, and leaves them there.
        if (label, name) not in DYNAMO_PATCHES or is_(value) is not function_type:
            return False
        filename = value.__code__.co_filename
        return is_(filename) is str_ and filename.endswith(mutation_guard)

    def all_subclasses() -> set[int]:
        """Every subclass of torch.Tensor, and of torch's function and dispatch
        modes (one can leave the stack before the verdict), at any depth, that
        torch did not define."""
        seen: set[int] = set()
        found: set[int] = set()
        todo: list[type] = list(watched_bases)
        while todo:
            cls: type
            for cls in subclasses(todo.pop()):
                if id_(cls) not in seen:
                    seen.add(id_(cls))
                    todo.append(cls)
                    if not torch_own(cls):
                        found.add(id_(cls))
        return found

    known_subclasses = frozenset(all_subclasses())
    # Objects of the process the judge reads after learner code ran: the
    # environment pytest takes options from, the import system's finders.
    environ = os.environ
    os_namespace = vars(os)
    meta_path, path_hooks = sys.meta_path, sys.path_hooks
    finders = (tuple(meta_path), tuple(path_hooks))
    modules = sys.modules
    judge_modules = {name: module for name, module in modules.items()
                     if name.split(".")[0] in JUDGE_PACKAGES or name in MORE_MODULES}
    sequence = [0]
    busy: set[int] = set()
    certified = [False]

    def emit(kind: str, payload: str) -> None:
        body = f"{sequence[0]} {kind} {payload.encode('utf-8', 'replace')[:1000].hex()}"
        mac = hmac_digest(key_bytes, body.encode("ascii"), "sha256").hex()
        line = b"\n" + GUARD_MARK + body.encode("ascii") + b" " + mac.encode("ascii") + b"\n"
        try:
            now = fstat(out)
            if (now.st_dev, now.st_ino) != pipe:
                raise OSError("the witness's pipe was replaced")
            write(out, line)  # under PIPE_BUF: written whole
        except OSError:
            kill(getpid(), sigkill)  # a witness that cannot speak ends the check
        sequence[0] += 1

    def end(reason: str) -> None:
        emit("fatal", reason)
        kill(getpid(), sigkill)

    def text(value: Any) -> str | None:
        # Only exact str and bytes are read: a subclass could run code here.
        if is_(value) is str_:
            return str_(value)  # an exact str: str() hands back the same object
        if is_(value) is bytes_:
            return str_(value.decode("utf-8", "replace"))
        return None

    def on_stack(frame: Any) -> bool:
        """Learner code is somewhere on the stack (a walk: only for rare events).

        Any thread but the check's own counts as the learner's: a thread whose
        target is a standard function (open, shutil.copyfile) has no learner
        frame on its stack."""
        if get_ident() != main_thread:
            return True
        while frame is not None:
            name = frame.f_code.co_filename
            if is_(name) is not str_ or name == exercise:
                return True
            frame = frame.f_back
        return False

    def doer(frame: Any, through_stdlib: bool) -> bool:
        """The code that did this is learner code: the first frame that is not
        inspect or traceback (they read frames for whoever calls them) nor,
        `through_stdlib`, the standard library or the import system."""
        while frame is not None:
            name = frame.f_code.co_filename
            if is_(name) is not str_:
                return True  # a filename no compiler makes: built by hand
            if name in transparent or (through_stdlib and name.startswith(stdlib)
                                       and "-packages" not in name):
                frame = frame.f_back
                continue
            if name == exercise:
                return True
            # "<string>" and the like: code built at run time, the learner's
            # when learner code is below it.
            return name.startswith("<") and not name.startswith("<frozen ") and on_stack(frame)
        return False

    def learners(path: str) -> bool:
        """In a folder learner code may write to, or that folder itself."""
        path = path + os.sep
        return any(path.startswith(root) for root in tmp_roots)

    def outside(path: str) -> bool:
        if not path.startswith("/"):
            return False  # relative to the check's own working folder (no "..": see below)
        return not learners(path)

    def runners_own(path: str) -> bool:
        """The result file and the rest of the check's scratch folder beyond the
        learner's two (the genuine result and its nonce are written there), and
        every other check's and grade's folder (other learners' code, their
        results)."""
        while "//" in path or "/./" in path:
            path = path.replace("//", "/").replace("/./", "/")
        if path == ".." or "/../" in path or path.startswith("../") or path.endswith("/.."):
            return True
        if learners(path):
            return False
        return path.startswith(scratch) or path == scratch[:-1] or \
            any(path.startswith(p) for p in runner_prefixes)

    def judge(event: str, args: tuple[Any, ...], frame: Any) -> None:
        if event == CHECK_LOADED_EVENT:
            namespace: Any = args[0] if is_(args) is tuple_ and args else None
            if frame is not None and frame.f_code is pinned_code and \
                    frame.f_globals is pinned_globals and is_(namespace) is dict:
                names = {name: value for name, value in list(namespace.items())
                         if is_(name) is str_ and judges(value)}
                snapshot.append(("the check", namespace, names))
                module = args[1] if len(args) > 1 else None
                if getattr(module, "__dict__", None) is namespace:
                    watch_module("the check", module, names)
            else:
                end("code other than the runner's claimed to have loaded the check")
            return
        if event == MODULE_WRITE_EVENT:
            label, names = watched_modules.get(id_(args[0]), ("", {}))
            name = args[1]
            if is_(name) is str_ and name in names and on_stack(frame):
                end(f"replaces {label}.{name}, which the check uses to judge")
            return
        if event == SUBCLASS_EVENT:
            # frame: init_subclass's own; above it, the class statement or type() call.
            if frame is not None and doer(frame.f_back, True):
                made_by_learner[id_(args[0])] = args[0]
            return
        if event == TENSOR_SHADOW_EVENT:
            if on_stack(frame):
                end(f"gives a tensor its own {text(args[0]) or 'attribute'}, hiding torch's")
            return
        if event == VERDICT_EVENT:
            if frame is not None and frame.f_code is verdict_code and \
                    frame.f_globals is verdict_globals and not certified[0]:
                certified[0] = True
                emit("verdict", verdict())
            else:
                end("code other than the runner's asked for a verdict")
            return
        first = args[0] if is_(args) is tuple_ and args else None
        # Cheap tests first: most events are the judge's own or torch's, and
        # are let through before any walk of the stack.
        if event == "object.__getattr__":
            if is_(args[1]) is str_ and args[1] not in FRAME_ATTRIBUTES:
                return
            if doer(frame, False):
                end(f"reads a frame ({text(args[1]) or '?'})")
            return
        if event in FATAL_IF_LEARNER:
            if event[:3] == "gc." and on_stack(frame) or doer(frame, False):
                end(f"{event} (reading the interpreter's internals)")
            return
        if event[:7] == "ctypes.":
            if doer(frame, True):  # torch's compiler loads its kernels with ctypes
                end(f"{event} (reading the interpreter's internals)")
            return
        if event in ("object.__setattr__", "object.__delattr__"):
            if id_(first) not in guarded_ids and id_(first) not in watched_modules and \
                    not (is_(args[1]) is str_ and args[1] == "__code__"):
                return
            if on_stack(frame):
                end(f"replaces {text(args[1]) or 'an attribute'} of something the check "
                    "uses to judge")
            return
        if event in ("open", "os.listdir", "os.scandir"):
            path = text(first)
            if path is None:
                if is_(first) is not int_ and event == "open" and on_stack(frame):
                    emit("flag", "opens a file through an object that is not a path")
                return
            if path == exercise and event == "open" and len(args) > 2 and \
                    is_(args[2]) is int_ and not args[2] & write_flags:
                return  # its own source, which torch.compile and inspect read: nothing hidden
            if any(path.startswith(f) for f in forbidden):
                if on_stack(frame):
                    end(f"reads the installed course's checks or reference solutions ({path})")
                return
            if runners_own(path):
                if on_stack(frame):
                    end(f"reaches the runner's own files ({path})")
                return
            if path.startswith("/proc/") or path.startswith("/dev/fd"):
                if path not in PROC_READS and on_stack(frame):
                    end(f"opens {path}")
                return
            flags = args[2] if event == "open" and len(args) > 2 else 0
            writes = is_(flags) is int_ and flags & write_flags
            if writes and outside(path) and on_stack(frame):
                emit("flag", f"writes a file outside its temporary folder ({path})")
            return
        if event in ("exec", "compile", "code.__new__", "function.__new__", "marshal.loads"):
            if frame is not None and frame.f_code.co_filename in class_builders:
                return
            if frame is not None and is_(frame.f_code.co_filename) is str_ and \
                    frame.f_code.co_filename.startswith("<frozen importlib"):
                # The import system loading a module from its file: the bytecode
                # cached beside it (judged again when it is executed), its source
                # compiled, its code run. Code the learner wrote to a file of its
                # own and imported is still built at run time.
                if event == "marshal.loads":
                    return
                where = text(args[1]) if event == "compile" and len(args) > 1 else \
                    text(first.co_filename) if is_(first) is code_type else None  # type: ignore[union-attr]
                if where is not None and where.startswith("/") and not learners(where):
                    return
            if doer(frame, True):
                emit("flag", f"runs code it builds at run time ({event})")
            return
        if event in ("os.putenv", "os.unsetenv"):
            name = text(first) or ""
            # pytest reads PYTEST_ADDOPTS and PYTEST_PLUGINS after the exercise
            # is imported: options, plugins (the exercise itself as one).
            if name.startswith(("PYTEST", "TORCHLINGS", "PYTHON")) and on_stack(frame):
                end(f"sets {name} (the judge's own settings)")
            return
        if event == "os.chdir":
            path = text(first)
            if (path is None or runners_own(path) or outside(path)) and on_stack(frame):
                # Relative paths would then lead anywhere, the runner's files included.
                end(f"changes the working folder ({path or 'a descriptor'})")
            return
        if event in PATH_CHANGES:
            for value in args[:2]:
                path = text(value)
                if path is not None and runners_own(path):
                    if on_stack(frame):
                        end(f"reaches the runner's own files ({event} {path})")
                    return
                if path is not None and (outside(path)
                                         or any(path.startswith(f) for f in forbidden)):
                    if on_stack(frame):
                        emit("flag", f"changes files outside its temporary folder "
                                     f"({event} {path})")
                    return
            return
        if event in PROCESSES:
            if doer(frame, True):  # torch's own compiler starts processes too
                emit("flag", f"starts or signals a process ({event})")
            return
        if event == "import":
            name = text(first) or ""
            if "solutions" in name and on_stack(frame):
                end(f"imports the reference solutions ({name})")
            if name.split(".")[0] in JUDGE_PACKAGES and doer(frame, True):
                emit("flag", f"imports {name}")
            return
        if event == "sys.addaudithook" and on_stack(frame):
            emit("flag", "adds an audit hook")

    def verdict() -> str:
        digest = "missing"
        try:
            handle = os_open(result_file, read_flags)
            try:
                data = b""
                while chunk := os_read(handle, 1 << 20):
                    data += chunk
            finally:
                os_close(handle)
            digest = sha256(data).hexdigest()
        except OSError:
            pass
        changed = []
        for label, namespace, names in snapshot:
            present = 0
            for name, value in list(namespace.items()):
                if is_(name) is not str_:
                    continue
                expected = names.get(name)
                if expected is None:
                    continue
                present += 1
                if value is not expected and not dynamo_patch(label, name, value):
                    changed.append(f"{label}.{name}")
            if present != len(names):
                changed.append(f"{label} (a function was removed)")
        for label, container, then in in_place:
            if not identical(items(container), then):
                changed.append(label)
        still = 0
        for name, module in list(modules.items()):
            if is_(name) is str_ and name in judge_modules:
                still += 1
                if judge_modules[name] is not module:
                    changed.append(f"sys.modules[{name}]")
        if still != len(judge_modules):
            changed.append("sys.modules (a module was removed)")
        if os_namespace.get("environ") is not environ:
            changed.append("os.environ")
        for finders_now, finders_then in zip((tuple(meta_path), tuple(path_hooks)), finders,
                                             strict=True):
            if not identical(finders_now, finders_then):
                changed.append("sys.meta_path")
                break
        new_subclasses = len(all_subclasses() - known_subclasses)
        modes = function_modes() + dispatch_modes()
        return f"{digest};{','.join(changed)};{new_subclasses};{modes}"

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if is_(event) is not str_ or (event not in WATCHED_EVENTS and event[:7] != "ctypes."):
            return
        me = get_ident()
        if me in busy:
            return  # the hook's own reads of frames and files
        busy.add(me)
        try:
            judge(event, args, getframe(1))
        except Exception:  # noqa: BLE001 - never into learner code; the check ends instead
            end("the grade's witness could not judge an event")
        finally:
            busy.discard(me)

    emit("hello", exercise)
    sys.addaudithook(hook)
