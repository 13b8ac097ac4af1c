"""The web platform's languages and its one message catalogue (简体中文 default, English).

Every text a page or an API error shows is a key of :data:`MESSAGES` with its Chinese and
English wording; templates call ``t("key")`` and the error handler uses the ``error.*`` keys.
The language of a request is, in order: ``?lang=zh|en`` (which also sets the ``lang`` cookie),
the ``lang`` cookie, then Chinese. A test checks that every key has both languages and that
every ``t("...")`` in the templates names a key.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from tanzuji.web.role_messages import ROLE_MESSAGES

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
COOKIE = "lang"

#: key -> {"zh": ..., "en": ...}. Grouped by page; ``error.<code>`` titles the JSON errors.
MESSAGES: dict[str, dict[str, str]] = {
    # layout
    "site.name": {"zh": "碳足迹平台", "en": "Tanzuji carbon footprint platform"},
    "site.tagline": {
        "zh": "产品碳足迹（ISO 14067）与碳足迹标识认证",
        "en": "Product carbon footprints (ISO 14067) and carbon-footprint label certification",
    },
    "nav.home": {"zh": "首页", "en": "Home"},
    "nav.catalogue": {"zh": "认证产品目录", "en": "Certified products"},
    "nav.log": {"zh": "透明日志", "en": "Transparency log"},
    "nav.jobs": {"zh": "后台任务", "en": "Jobs"},
    "nav.admin": {"zh": "机构与用户", "en": "Organisations and users"},
    "nav.tokens": {"zh": "API 令牌", "en": "API tokens"},
    "nav.login": {"zh": "登录", "en": "Log in"},
    "nav.logout": {"zh": "退出", "en": "Log out"},
    "nav.language": {"zh": "语言", "en": "Language"},
    "nav.skip": {"zh": "跳到正文", "en": "Skip to content"},
    "nav.signed_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "footer.api": {"zh": "API 文档（OpenAPI）", "en": "API document (OpenAPI)"},
    # home
    "home.title": {"zh": "欢迎", "en": "Welcome"},
    "home.public": {
        "zh": "任何人都可以查询认证产品、核验证书和查看透明日志，无需登录。",
        "en": "Anyone can look up certified products, check certificates and read the "
        "transparency log without logging in.",
    },
    "home.check": {"zh": "核验证书", "en": "Check a certificate"},
    "home.certificate_id": {"zh": "证书编号", "en": "Certificate id"},
    "home.go": {"zh": "查看", "en": "Open"},
    # login
    "login.title": {"zh": "登录", "en": "Log in"},
    "login.user": {"zh": "用户名", "en": "User name"},
    "login.password": {"zh": "密码", "en": "Password"},
    "login.submit": {"zh": "登录", "en": "Log in"},
    "login.failed": {"zh": "用户名或密码错误", "en": "Wrong user name or password"},
    "login.logged_out": {"zh": "已退出登录", "en": "You are logged out"},
    # certificate page
    "cert.title": {"zh": "碳足迹标识证书", "en": "Carbon-footprint label certificate"},
    "cert.product": {"zh": "产品", "en": "Product"},
    "cert.company": {"zh": "企业", "en": "Company"},
    "cert.value": {"zh": "碳足迹", "en": "Carbon footprint"},
    "cert.unit": {"zh": "声明单位", "en": "Declared unit"},
    "cert.stages": {"zh": "生命周期阶段", "en": "Life cycle stages"},
    "cert.stage": {"zh": "阶段", "en": "Stage"},
    "cert.share": {"zh": "占比", "en": "Share"},
    "cert.label": {"zh": "标识", "en": "Label"},
    "cert.label_type": {"zh": "标识类型", "en": "Label type"},
    "cert.pcr": {"zh": "产品种类规则（PCR）", "en": "Product category rules (PCR)"},
    "cert.release": {"zh": "排放因子版本", "en": "Emission factor release"},
    "cert.validity": {"zh": "有效期", "en": "Validity"},
    "cert.status": {"zh": "状态", "en": "Status"},
    "cert.body": {"zh": "认证机构", "en": "Certification body"},
    "cert.version": {"zh": "证书版本", "en": "Certificate version"},
    "cert.checks": {"zh": "签名与日志证明", "en": "Signature and log proof"},
    "cert.checked_server": {"zh": "服务器已核验", "en": "Checked by the server"},
    "cert.recheck": {"zh": "重新核验", "en": "Check again"},
    "cert.recheck_running": {"zh": "正在核验……", "en": "Checking…"},
    "cert.valid": {"zh": "证书有效", "en": "The certificate is valid"},
    "cert.invalid": {"zh": "证书无效", "en": "The certificate is NOT valid"},
    "cert.revoked": {
        "zh": "此证书已被撤销，不得再使用该标识。",
        "en": "This certificate has been REVOKED; the label may no longer be used.",
    },
    "cert.suspended": {
        "zh": "此证书已暂停，暂不得使用该标识。",
        "en": "This certificate is SUSPENDED; the label may not be used for now.",
    },
    "cert.expired": {"zh": "此证书已过期。", "en": "This certificate has EXPIRED."},
    "cert.superseded": {
        "zh": "此证书已被同一产品的新证书取代，请以新证书为准。",
        "en": "This certificate was SUPERSEDED by a newer certificate of the same product.",
    },
    "cert.qr_claim": {"zh": "二维码声明", "en": "QR code claim"},
    "cert.download_label": {"zh": "下载标识（PNG）", "en": "Download the label (PNG)"},
    "cert.download_document": {
        "zh": "下载证书文件（JSON）",
        "en": "Download the certificate (JSON)",
    },
    "cert.check": {"zh": "检查项", "en": "Check"},
    "cert.result": {"zh": "结果", "en": "Result"},
    "cert.ok": {"zh": "通过", "en": "passed"},
    "cert.failed": {"zh": "未通过", "en": "failed"},
    # catalogue
    "catalogue.title": {"zh": "认证产品目录", "en": "Catalogue of certified products"},
    "catalogue.intro": {
        "zh": "按类别查找已认证产品，比较其碳足迹（绿色采购）。",
        "en": "Find certified products by category and compare their footprints "
        "(green procurement).",
    },
    "catalogue.search": {"zh": "搜索", "en": "Search"},
    "catalogue.query": {"zh": "产品或企业名称", "en": "Product or company name"},
    "catalogue.category": {"zh": "类别（PCR）", "en": "Category (PCR)"},
    "catalogue.all": {"zh": "全部", "en": "All"},
    "catalogue.label": {"zh": "标识类型", "en": "Label type"},
    "catalogue.max_value": {"zh": "碳足迹上限", "en": "Footprint at most"},
    "catalogue.status": {"zh": "状态", "en": "Status"},
    "catalogue.only_valid": {"zh": "仅显示有效证书", "en": "Valid certificates only"},
    "catalogue.compare": {"zh": "比较所选", "en": "Compare selected"},
    "catalogue.select": {"zh": "选择比较", "en": "Select to compare"},
    "catalogue.none": {"zh": "没有符合条件的产品。", "en": "No product matches."},
    "catalogue.count": {"zh": "共 {total} 项", "en": "{total} found"},
    "catalogue.comparison": {"zh": "产品比较", "en": "Comparison"},
    "catalogue.compare_unit_warning": {
        "zh": "声明单位不同的产品不能直接比较。",
        "en": "Products with different declared units cannot be compared directly.",
    },
    "page.previous": {"zh": "上一页", "en": "Previous"},
    "page.next": {"zh": "下一页", "en": "Next"},
    # log
    "log.title": {"zh": "透明日志签名树头", "en": "Signed tree head of the transparency log"},
    "log.intro": {
        "zh": "每一次签发、暂停、恢复和撤销都追加到只增日志；树头由平台签名。",
        "en": "Every issue, suspension, reinstatement and revocation is appended to an "
        "append-only log; the platform signs its tree head.",
    },
    "log.size": {"zh": "日志条目数", "en": "Entries"},
    "log.root": {"zh": "根哈希", "en": "Root hash"},
    "log.signed_at": {"zh": "签名时间", "en": "Signed at"},
    "log.key": {"zh": "签名密钥", "en": "Signing key"},
    "log.signature": {"zh": "签名", "en": "Signature"},
    "log.empty": {"zh": "日志为空。", "en": "The log is empty."},
    # jobs
    "jobs.title": {"zh": "后台任务", "en": "Background jobs"},
    "jobs.id": {"zh": "编号", "en": "Id"},
    "jobs.kind": {"zh": "类型", "en": "Kind"},
    "jobs.state": {"zh": "状态", "en": "State"},
    "jobs.progress": {"zh": "进度", "en": "Progress"},
    "jobs.created": {"zh": "创建时间", "en": "Created"},
    "jobs.finished": {"zh": "完成时间", "en": "Finished"},
    "jobs.error": {"zh": "失败原因", "en": "Why it failed"},
    "jobs.result": {"zh": "结果", "en": "Result"},
    "jobs.none": {"zh": "暂无任务。", "en": "No jobs yet."},
    "jobs.message": {"zh": "说明", "en": "Message"},
    "jobs.download": {"zh": "下载结果文件", "en": "Download the result file"},
    "jobs.state.queued": {"zh": "排队中", "en": "queued"},
    "jobs.state.running": {"zh": "运行中", "en": "running"},
    "jobs.state.succeeded": {"zh": "已完成", "en": "succeeded"},
    "jobs.state.failed": {"zh": "失败", "en": "failed"},
    # admin
    "admin.title": {"zh": "机构、用户与令牌", "en": "Organisations, users and tokens"},
    "admin.organisations": {"zh": "机构", "en": "Organisations"},
    "admin.users": {"zh": "用户", "en": "Users"},
    "admin.id": {"zh": "编号", "en": "Id"},
    "admin.name": {"zh": "名称", "en": "Name"},
    "admin.kind": {"zh": "类型", "en": "Kind"},
    "admin.role": {"zh": "角色", "en": "Role"},
    "admin.organisation": {"zh": "机构", "en": "Organisation"},
    "admin.active": {"zh": "启用", "en": "Active"},
    "admin.change_role": {"zh": "更改角色或机构", "en": "Change role or organisation"},
    "admin.new_role": {"zh": "{user} 的新角色", "en": "New role of {user}"},
    "admin.new_organisation": {"zh": "{user} 的新机构", "en": "New organisation of {user}"},
    "admin.change": {"zh": "更改", "en": "Change"},
    "admin.role_changed": {
        "zh": "已更改 {user} 的角色与机构，自其下一次请求起生效。",
        "en": "The role and organisation of {user} are changed, from their next request on.",
    },
    "admin.role_rules": {
        "zh": "申请人属于企业，核查员与认证决定人属于认证机构，管理员与数据管理员属于平台运营方；"
        "最后一位在用的管理员不能被改为其他角色。每次更改都记入审计日志。",
        "en": "Applicants work for an enterprise, verifiers and decision makers for a "
        "certification body, administrators and data stewards for the platform operator; "
        "the last active administrator cannot be given another role. Every change is written "
        "to the audit log.",
    },
    "role.applicant": {"zh": "申请人", "en": "applicant"},
    "role.verifier": {"zh": "核查员", "en": "verifier"},
    "role.decision_maker": {"zh": "认证决定人", "en": "decision maker"},
    "role.administrator": {"zh": "管理员", "en": "administrator"},
    "role.data_steward": {"zh": "数据管理员", "en": "data steward"},
    "role.public": {"zh": "公众", "en": "public"},
    "tokens.title": {"zh": "API 令牌", "en": "API tokens"},
    "tokens.name": {"zh": "用途", "en": "Name"},
    "tokens.scopes": {"zh": "权限范围", "en": "Scopes"},
    "tokens.create": {"zh": "创建令牌", "en": "Create a token"},
    "tokens.created": {
        "zh": "新令牌（只显示一次，请妥善保存）：",
        "en": "New token (shown once; keep it safe):",
    },
    "tokens.revoke": {"zh": "撤销", "en": "Revoke"},
    "tokens.revoked": {"zh": "已撤销", "en": "revoked"},
    "status.valid": {"zh": "有效", "en": "valid"},
    "status.suspended": {"zh": "已暂停", "en": "suspended"},
    "status.revoked": {"zh": "已撤销", "en": "revoked"},
    "status.expired": {"zh": "已过期", "en": "expired"},
    "status.superseded": {"zh": "已被取代", "en": "superseded"},
    "status.invalid": {"zh": "核验未通过", "en": "not verified"},
    "status.any": {"zh": "全部状态", "en": "any status"},
    "label.disclosure": {"zh": "碳足迹披露", "en": "footprint disclosure"},
    "label.reduction": {"zh": "碳减排", "en": "reduction"},
    "label.neutrality": {"zh": "碳中和", "en": "carbon neutrality"},
    "stage.raw_materials": {"zh": "原材料获取", "en": "raw materials"},
    "stage.production": {"zh": "生产", "en": "production"},
    "stage.distribution": {"zh": "分销运输", "en": "distribution"},
    "stage.use": {"zh": "使用", "en": "use"},
    "stage.end_of_life": {"zh": "废弃处置", "en": "end of life"},
    "sort.label": {"zh": "排序", "en": "Sort by"},
    "sort.footprint": {"zh": "碳足迹从低到高", "en": "footprint, lowest first"},
    "sort.-footprint": {"zh": "碳足迹从高到低", "en": "footprint, highest first"},
    "sort.product": {"zh": "产品名称", "en": "product name"},
    "sort.newest": {"zh": "最新签发", "en": "newest first"},
    "cert.token_check": {"zh": "二维码中的签名声明", "en": "The signed claim in the QR code"},
    "cert.no_js": {
        "zh": "重新核验需要 JavaScript；也可下载证书文件后用 tanzuji verify 离线核验。",
        "en": "Checking again needs JavaScript; or download the certificate file and check it "
        "offline with tanzuji verify.",
    },
    "cert.per": {"zh": "每", "en": "per"},
    "cert.issued_at": {"zh": "签发时间", "en": "Issued at"},
    "cert.tree": {"zh": "日志证明（树大小）", "en": "Log proof (tree size)"},
    "cert.key": {"zh": "签名密钥", "en": "Signing key"},
    "app.title": {"zh": "申请", "en": "Application"},
    "app.models": {"zh": "模型版本", "en": "Model versions"},
    "app.version": {"zh": "版本", "en": "Version"},
    "app.evidence": {"zh": "证据文件", "en": "Evidence files"},
    "common.yes": {"zh": "是", "en": "yes"},
    "common.no": {"zh": "否", "en": "no"},
    "common.none": {"zh": "无", "en": "none"},
    # errors (JSON error titles and the error page)
    "error.title": {"zh": "出错了", "en": "Something went wrong"},
    "error.back": {"zh": "返回首页", "en": "Back to the home page"},
    "error.not_found": {"zh": "未找到", "en": "Not found"},
    "error.method_not_allowed": {"zh": "不允许的请求方法", "en": "Method not allowed"},
    "error.invalid_request": {"zh": "请求无效", "en": "Invalid request"},
    "error.request_too_large": {"zh": "请求过大", "en": "Request too large"},
    "error.internal_error": {"zh": "服务器内部错误", "en": "Internal server error"},
    "error.unauthenticated": {"zh": "需要登录或有效令牌", "en": "Authentication needed"},
    "error.too_many_attempts": {"zh": "尝试次数过多", "en": "Too many attempts"},
    "error.csrf_failed": {"zh": "表单已失效，请刷新后重试", "en": "CSRF check failed"},
    "error.permission_denied": {"zh": "无权执行", "en": "Permission denied"},
    "error.insufficient_scope": {"zh": "令牌权限不足", "en": "Token scope insufficient"},
    "error.http_error": {"zh": "请求错误", "en": "Request error"},
    "error.tanzuji_error": {"zh": "无法完成请求", "en": "The request cannot be carried out"},
    "error.participant_error": {"zh": "机构或用户信息有误", "en": "Organisation or user refused"},
    "error.last_administrator": {"zh": "须保留一位管理员", "en": "The last administrator stays"},
    # verifier reassignment (application page; keep these keys together)
    "app.step.reassign": {"zh": "更换核查员", "en": "Reassign the verifier"},
    "app.reassign.current": {"zh": "当前核查员", "en": "Current verifier"},
    "app.reassign.to": {"zh": "新核查员", "en": "New verifier"},
    "app.reassign.kept": {
        "zh": "已提出的不符合项、因子豁免和产品种类规则核查结果保留，仍记在原记录人名下。",
        "en": "Findings, factor waivers and the PCR check recorded so far stay, attributed to "
        "who recorded them.",
    },
    "app.reassign.none": {
        "zh": "本认证机构没有其他可接任的核查员（须为在职、未参与编制本申请的核查员）。",
        "en": "No other verifier of this body can take over (an active verifier who did not "
        "prepare this application).",
    },
}
MESSAGES.update(ROLE_MESSAGES)


def language_of(request: Request) -> str:
    """The request's language: ``?lang=``, else the ``lang`` cookie, else Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE)
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, language: str, **values: object) -> str:
    """The text of ``key`` in ``language`` (English, then the key itself, when missing)."""
    entry: Mapping[str, str] = MESSAGES.get(key, {})
    text = entry.get(language) or entry.get("en") or key
    return text.format(**values) if values else text


def translate_or(key: str, language: str, default: str) -> str:
    """The text of ``key`` when the catalogue has it, else ``default`` (data values such as
    stage names that may or may not have a translation)."""
    entry = MESSAGES.get(key)
    return (entry.get(language) or entry.get("en") or default) if entry else default


def both(key: str, **values: object) -> dict[str, str]:
    """``{"zh": ..., "en": ...}`` of ``key`` (the bilingual title of a JSON error)."""
    return {language: translate(key, language, **values) for language in LANGUAGES}


__all__ = [
    "COOKIE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "MESSAGES",
    "both",
    "language_of",
    "translate",
    "translate_or",
]
